import type Database from "better-sqlite3";
import type { Serial } from "../core/serial.js";

export interface GroupCommitOptions {
  /** A group commits this long after its first write at the latest. */
  windowMs: number;
  /** …or as soon as it holds this many units of work. */
  maxUnits: number;
}

/**
 * A commit costs more than the small writes it ends (two writes to the log per page; see
 * docs/performance.md), so busy paths let their writes share one: a group is one
 * transaction, each unit of work a savepoint in it (or, for the pool's passes, no savepoint: a
 * unit that fails half-way then rolls the whole group back), committed once the window is over
 * or the group is full. Nothing outside may hear of a grouped write before its group committed:
 * `whenCommitted` is how callers wait. A crash loses at most the open group, whose work was
 * never acknowledged (a claimed task is still queued; a finished one runs again).
 */
export class GroupCommit {
  private open = false;
  private units = 0;
  private timer: NodeJS.Timeout | undefined;
  private waiting: ((error?: Error) => void)[] = [];
  /** The open group's commit as a promise, made once for all who wait on it. */
  private committing: Promise<void> | undefined;
  /** Where the window's commit waits for its turn, once writes span awaits (`takeTurnsIn`). */
  private turns: Serial | undefined;

  constructor(
    private readonly sqlite: Database.Database,
    private readonly options: GroupCommitOptions,
  ) {}

  /** Starts a group for the next unit unless one is open (or the caller's transaction is). */
  join(): void {
    if (this.open || this.sqlite.inTransaction) return;
    this.sqlite.exec("BEGIN");
    this.open = true;
    this.timer = setTimeout(() => this.windowEnded(), this.options.windowMs);
  }

  /**
   * From now on the window's commit takes a turn in `turns`: writes that await between their
   * statements (the asynchronous face) take turns there, and a COMMIT landing while one awaits
   * would commit half of it. A group that is full commits at the end of a unit, already in its turn.
   */
  takeTurnsIn(turns: Serial): void {
    this.turns = turns;
  }

  /** A unit of the group ended: the group commits when it is full. */
  unitEnded(): void {
    if (this.open && ++this.units >= this.options.maxUnits) this.commit();
  }

  /**
   * Commits the open group now (a write that must be durable when it returns, or closing).
   * Returns the error when the commit failed: the group's writes are gone.
   */
  commit(): Error | undefined {
    if (!this.open) return undefined;
    const waiting = this.close();
    let failure: Error | undefined;
    try {
      this.sqlite.exec("COMMIT");
    } catch (error) {
      failure = error as Error;
      if (this.sqlite.inTransaction) this.sqlite.exec("ROLLBACK");
    }
    for (const done of waiting) done(failure);
    return failure;
  }

  /**
   * Undoes the open group: a unit that joined it without a savepoint of its own failed half-way
   * (`TaskStore.write` with `undo: "all"`). Its waiters hear `error`, as they would a failed commit.
   */
  rollBack(error: Error): void {
    if (!this.open) return;
    const waiting = this.close();
    // SQLite rolls a transaction back by itself after some errors (a full disk, an I/O error).
    if (this.sqlite.inTransaction) this.sqlite.exec("ROLLBACK");
    for (const done of waiting) done(error);
  }

  /**
   * The window is over. Waiting for a turn, the group may have been committed meanwhile and
   * another opened: that one then commits early, which only makes it durable sooner.
   */
  private windowEnded(): void {
    if (this.turns === undefined) this.commit();
    else void this.turns.run(() => this.commit());
  }

  /** Ends the open group; returns who waits to hear how it ended. */
  private close(): ((error?: Error) => void)[] {
    clearTimeout(this.timer);
    this.open = false;
    this.units = 0;
    this.committing = undefined;
    const waiting = this.waiting;
    this.waiting = [];
    return waiting;
  }

  /**
   * Calls `done` once everything written so far is committed: at once when no group is open,
   * with the error when the group failed to commit (its writes are gone).
   */
  whenCommitted(done: (error?: Error) => void): void {
    if (this.open) this.waiting.push(done);
    else done();
  }

  /** Resolves once everything written so far is committed. */
  committed(): Promise<void> {
    if (!this.open) return Promise.resolve();
    this.committing ??= new Promise((resolve, reject) =>
      this.waiting.push((error) => (error === undefined ? resolve() : reject(error))),
    );
    return this.committing;
  }
}
