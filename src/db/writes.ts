import type Database from "better-sqlite3";
import { coerceError } from "../core/errors.js";
import type { WriteOptions } from "../core/ports.js";
import type { GroupCommit } from "./group-commit.js";

/** The default write: committed when it returns, a failure undoing its own work only. */
const NOW: WriteOptions = {};

/**
 * How writes on a connection open, nest and commit (see `WriteOptions`): the synchronous store's
 * (`TaskStore.write`), and the asynchronous face's through `holding` (AsyncWrites, which adds the
 * turns and the savepoints of writes that await). The one place that knows how an outermost write
 * joins the group commit and when it commits.
 */
export class Writes {
  /**
   * One better-sqlite3 transaction function for every call: BEGIN…COMMIT, or a savepoint when
   * already inside one, rolled back if `work` throws. (Wrapping each `work` anew costs more
   * than the statements of a transition.)
   */
  private readonly inTransaction: Database.Transaction<(work: () => unknown) => unknown>;
  /** How deep the calls of `write` are: the outermost decides when to commit. */
  private depth = 0;
  /** An asynchronous write holds the connection's transaction (`holding`). */
  private held = false;
  /** Who waits for the outermost write in progress that commits when it ends (see `afterCommit`). */
  private waitingForWrite: ((error?: Error) => void)[] | undefined;

  constructor(
    sqlite: Database.Database,
    private readonly commits: GroupCommit,
  ) {
    this.inTransaction = sqlite.transaction((work: () => unknown) => work());
  }

  /**
   * Runs `work` synchronously as one write: all of it is stored, or none of it (see
   * `WriteOptions` for when it commits and what a failure undoes). Inside another write it joins
   * that one: committed with it; with `undo: "own"` a savepoint undoes it alone, with
   * `undo: "all"` it has none and a failure fails the caller.
   */
  write<T>(work: () => T, options: WriteOptions = NOW): T {
    // Inside a write, this one's or an asynchronous one's (`held`), it is part of that write.
    if (this.depth > 0 || this.held) return options.undo === "all" ? work() : this.unit(work);
    return this.outermost(
      options,
      () => this.unit(work),
      () => this.bare(work),
    );
  }

  /**
   * Runs an asynchronous outermost write (AsyncWrites, in its turn) as `write` runs a synchronous
   * one, `unit` and `bare` being its work with and without a unit of its own. It holds the
   * connection's transaction until it settles, awaits included: meanwhile a `write` here (by the
   * synchronous repositories it calls) is part of it, as inside a synchronous write (a savepoint
   * unless `undo: "all"`), and neither commits nor joins the group.
   */
  async holding<T>(
    options: WriteOptions,
    unit: () => Promise<T>,
    bare: () => Promise<T>,
  ): Promise<T> {
    this.held = true;
    try {
      return await this.outermost(options, unit, bare);
    } finally {
      this.held = false;
    }
  }

  /**
   * Calls `done` once everything written so far has committed (at once if it has), or with the
   * error that undid it: inside a write that commits when it ends, once it has; inside a grouped
   * one, once its group has.
   */
  afterCommit(done: (error?: Error) => void): void {
    if (this.waitingForWrite !== undefined) this.waitingForWrite.push(done);
    else this.commits.whenCommitted(done);
  }

  /** Resolves once everything written so far has committed. */
  committed(): Promise<void> {
    return this.commits.committed();
  }

  /** Commits the open group now; returns the error if the commit failed (its writes are gone). */
  commit(): Error | undefined {
    return this.commits.commit();
  }

  /**
   * When an outermost write commits: by default when it returns, with the open group it joined
   * (and it fails if that commit fails). Grouped, it is part of a group that commits a little
   * later (see GroupCommit), for the busy paths, whose callers wait with `committed` before
   * telling anyone: with a unit of its own (a savepoint), or `bare`. A savepoint copies every page
   * its unit touches, a large share of the pool's processing (docs/performance.md); the price of
   * going without is on failure: the whole open group is rolled back, and everyone waiting on it
   * hears the error, as they would a failed commit.
   */
  private outermost<T>(options: WriteOptions, unit: () => T, bare: () => T): T {
    if (options.commit !== "grouped") {
      const waiting: ((error?: Error) => void)[] = [];
      this.waitingForWrite = waiting;
      return ending(unit, (failed, error) => {
        this.waitingForWrite = undefined;
        const failure = this.commits.commit();
        const undone = failed ? coerceError(error) : failure;
        for (const done of waiting) done(undone);
        // A write that failed throws its own error; the group's waiters hear of the commit's.
        if (failure !== undefined && !failed) throw failure;
      });
    }
    this.commits.join();
    if (options.undo !== "all") return ending(unit, () => this.commits.unitEnded());
    return ending(bare, (failed, error) => {
      if (failed) this.commits.rollBack(coerceError(error));
      this.commits.unitEnded();
    });
  }

  /** Without a unit of its own: the writes inside it nest in it, a failure is the group's. */
  private bare<T>(work: () => T): T {
    this.depth++;
    try {
      return work();
    } finally {
      this.depth--;
    }
  }

  /** BEGIN…COMMIT, or a savepoint inside a transaction already open (the group's, a caller's). */
  private unit<T>(work: () => T): T {
    this.depth++;
    try {
      return this.inTransaction(work) as T;
    } finally {
      this.depth--;
    }
  }
}

/**
 * Runs `run`, then `end` (told whether it failed), and answers as `run` did: at once, or when
 * its promise settles: what lets `outermost` serve writes that await and writes that do not.
 * `end` may fail it (a commit that failed).
 */
function ending<T>(run: () => T, end: (failed: boolean, error?: unknown) => void): T {
  let result: T;
  try {
    result = run();
  } catch (error) {
    end(true, error);
    throw error;
  }
  if (!(result instanceof Promise)) {
    end(false);
    return result;
  }
  return result.then(
    (value: unknown) => {
      end(false);
      return value;
    },
    (error: unknown) => {
      end(true, error);
      throw error;
    },
  ) as T;
}
