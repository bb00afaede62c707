import { AsyncLocalStorage } from "node:async_hooks";
import type Database from "better-sqlite3";
import { coerceError } from "../core/errors.js";
import type { WriteOptions } from "../core/ports.js";
import { Serial } from "../core/serial.js";
import type { OpenDatabase } from "./connection.js";
import type { GroupCommit } from "./group-commit.js";
import type { Writes } from "./writes.js";

/** A write in progress. */
interface OpenWrite {
  /** The calls and nested writes made inside it, one at a time: savepoints nest, never interleave. */
  readonly inside: Serial;
  open: boolean;
  /** A nested write without a savepoint (`undo: "all"`) failed: this write fails, caught or not. */
  failed?: { error: unknown };
  /** Who waits to hear how this write ends (`afterCommit`). */
  readonly waiting: ((error?: Error) => void)[];
}

/**
 * Writes whose work awaits (the asynchronous face over SQLite), by the synchronous store's rule:
 * `Writes` decides how an outermost write joins the group commit and when it commits
 * (`Writes.holding`); this adds what awaiting needs. An outermost write takes its turn and keeps
 * the connection until its work has ended, awaits included; its unit is BEGIN IMMEDIATE…COMMIT,
 * or a savepoint in the open group. A write started inside `work` (found through
 * AsyncLocalStorage) joins it, in a savepoint of its own unless `undo: "all"`. The group's window
 * commit takes a turn as well (`GroupCommit.takeTurnsIn`): never between a write's statements.
 */
export class AsyncWrites {
  private readonly turns = new Serial();
  private readonly current = new AsyncLocalStorage<OpenWrite>();
  private savepoints = 0;
  private readonly sqlite: Database.Database;
  /** How an outermost write commits, and what knows that one is open (`Writes.holding`). */
  private readonly writes: Writes;
  private readonly commits: GroupCommit;

  constructor(database: OpenDatabase) {
    ({ sqlite: this.sqlite, writes: this.writes, commits: this.commits } = database);
    this.commits.takeTurnsIn(this.turns);
  }

  write<T>(work: () => Promise<T>, options: WriteOptions = {}): Promise<T> {
    const outer = this.openWrite();
    if (outer !== undefined) {
      return outer.inside.run(() =>
        options.undo === "all" ? this.joining(outer, work) : this.savepoint(work),
      );
    }
    return this.turns.run(() =>
      this.writes.holding(
        options,
        () => this.unit(work),
        () => this.run(work),
      ),
    );
  }

  /**
   * A repository's call: inside a write, part of it (as the synchronous store's own writes are
   * inside one, `Writes.write`); outside, a write of its own.
   */
  call<T>(run: () => T): Promise<T> {
    const outer = this.openWrite();
    if (outer === undefined) return this.write(async () => run());
    return outer.inside.run(run);
  }

  /**
   * A repository's read: inside a write, part of it; outside, in a turn of its own, between
   * writes, committing nothing. (On one connection a read sees the open group, as the
   * synchronous store's reads do; making it a write would commit the group early.)
   */
  read<T>(run: () => T): Promise<T> {
    const outer = this.openWrite();
    return outer === undefined ? this.turns.run(run) : outer.inside.run(run);
  }

  /**
   * Calls `done` once the write this call is part of has committed, or with the error that undid
   * it; outside a write, once the open group (if any) has committed. A write in progress then is
   * another caller's: how it ends is not this caller's news.
   */
  afterCommit(done: (error?: Error) => void): void {
    const open = this.openWrite();
    if (open === undefined) this.commits.whenCommitted(done);
    else open.waiting.push(done);
  }

  /** Resolves once every write begun so far has ended and what it wrote is durable. */
  async committed(): Promise<void> {
    if (this.openWrite() !== undefined) {
      throw new Error("committed() inside a write would wait for that write to end");
    }
    await this.turns.idle();
    await this.writes.committed();
  }

  /** Resolves once every write begun so far has ended. */
  idle(): Promise<void> {
    return this.turns.idle();
  }

  private openWrite(): OpenWrite | undefined {
    const write = this.current.getStore();
    return write?.open === true ? write : undefined;
  }

  /** BEGIN IMMEDIATE…COMMIT, or a savepoint in the open group (on its turn, the only transaction). */
  private unit<T>(work: () => Promise<T>): Promise<T> {
    return this.sqlite.inTransaction ? this.savepoint(work) : this.transaction(work);
  }

  private async transaction<T>(work: () => Promise<T>): Promise<T> {
    this.sqlite.exec("BEGIN IMMEDIATE");
    try {
      const result = await this.run(work);
      this.sqlite.exec("COMMIT");
      return result;
    } catch (error) {
      // SQLite rolls a transaction back by itself after some errors (a full disk, an I/O error).
      if (this.sqlite.inTransaction) this.sqlite.exec("ROLLBACK");
      throw error;
    }
  }

  private async savepoint<T>(work: () => Promise<T>): Promise<T> {
    const name = `steward_write_${++this.savepoints}`;
    this.sqlite.exec(`SAVEPOINT ${name}`);
    try {
      const result = await this.run(work);
      this.sqlite.exec(`RELEASE ${name}`);
      return result;
    } catch (error) {
      if (this.sqlite.inTransaction) this.sqlite.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
      throw error;
    }
  }

  /** Without a savepoint: a failure is the caller's too, even if it catches it. */
  private async joining<T>(outer: OpenWrite, work: () => Promise<T>): Promise<T> {
    try {
      return await this.run(work);
    } catch (error) {
      outer.failed ??= { error };
      throw error;
    }
  }

  /**
   * Runs `work` as a write of its own; waits for what it started inside to end (a call it did
   * not await must not run after the commit, outside any transaction).
   */
  private async run<T>(work: () => Promise<T>): Promise<T> {
    const outer = this.openWrite();
    const write: OpenWrite = { inside: new Serial(), open: true, waiting: [] };
    try {
      const result = await this.current.run(write, work);
      if (write.inside.busy) await write.inside.idle();
      if (write.failed !== undefined) throw write.failed.error;
      // Committed with the write around it; outermost, as `Writes` commits it (now, or grouped).
      if (outer !== undefined) outer.waiting.push(...write.waiting);
      else for (const done of write.waiting) this.writes.afterCommit(done);
      return result;
    } catch (error) {
      await write.inside.idle();
      for (const done of write.waiting) done(coerceError(error));
      throw error;
    } finally {
      write.open = false;
    }
  }
}
