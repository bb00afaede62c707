import type Database from "better-sqlite3";
import { coerceError } from "../core/errors.js";
import type { WriteOptions } from "../core/ports.js";
import type { GroupCommit } from "./group-commit.js";

/** The default write: committed when it returns, a failure undoing its own work only. */
const NOW: WriteOptions = {};

/**
 * How `TaskStore.write` opens, nests and commits a write (see `WriteOptions`): the only place that
 * knows about savepoints and how a write joins the group commit.
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
    if (this.depth > 0) return options.undo === "all" ? work() : this.unit(work);
    if (options.commit !== "grouped") return this.durable(work);
    return options.undo === "all" ? this.sharingTheGroup(work) : this.inTheGroup(work);
  }

  /** Calls `done` once everything written so far has committed (at once if it has). */
  afterCommit(done: (error?: Error) => void): void {
    this.commits.whenCommitted(done);
  }

  /** Resolves once everything written so far has committed. */
  committed(): Promise<void> {
    return this.commits.committed();
  }

  /** Commits the open group now; returns the error if the commit failed (its writes are gone). */
  commit(): Error | undefined {
    return this.commits.commit();
  }

  /** Commits when it returns, and the open group it joined with it; throws if that fails. */
  private durable<T>(work: () => T): T {
    let result: T;
    try {
      result = this.unit(work);
    } catch (error) {
      this.commits.commit();
      throw error;
    }
    // Durable when this returns, or it throws: the open group it joined may fail to commit.
    const failure = this.commits.commit();
    if (failure !== undefined) throw failure;
    return result;
  }

  /**
   * Part of a group that commits a little later (see GroupCommit), with a savepoint of its own:
   * for the busy paths, whose callers wait with `committed` before telling anyone.
   */
  private inTheGroup<T>(work: () => T): T {
    this.commits.join();
    try {
      return this.unit(work);
    } finally {
      this.commits.unitEnded();
    }
  }

  /**
   * In the open group as `inTheGroup`, but without a savepoint of its own: a savepoint copies
   * every page its unit touches, a large share of the pool's processing (docs/performance.md).
   * The price is on failure: if `work` throws, the whole open group is rolled back, and everyone
   * waiting on it hears the error, as they would a failed commit.
   */
  private sharingTheGroup<T>(work: () => T): T {
    this.commits.join();
    this.depth++;
    try {
      return work();
    } catch (error) {
      this.commits.rollBack(coerceError(error));
      throw error;
    } finally {
      this.depth--;
      this.commits.unitEnded();
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
