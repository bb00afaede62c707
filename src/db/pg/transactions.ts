import { AsyncLocalStorage } from "node:async_hooks";
import { drizzle, type NodePgQueryResultHKT } from "drizzle-orm/node-postgres";
import type { PgDatabase } from "drizzle-orm/pg-core";
import type pg from "pg";
import { coerceError } from "../../core/errors.js";
import type { WriteOptions } from "../../core/ports.js";
import type { PgDb } from "./connection.js";
import * as schema from "./schema.js";

/** The pool's database or an open transaction: what a repository's queries run on. */
export type Queryable = PgDatabase<NodePgQueryResultHKT, typeof schema>;

/** An open write (a transaction, or a savepoint in one): its connection and drizzle over it. */
interface OpenWrite {
  client: pg.PoolClient;
  db: Queryable;
  /** Savepoints open on the connection, for their names. */
  depth: { savepoints: number };
  /** A write joined without a savepoint (`undo: "all"`) failed: this one fails, caught or not. */
  failed?: { error: unknown };
  /** Who waits to hear how this write ends (`afterCommit`). */
  waiting: ((error?: Error) => void)[];
  /**
   * The end of the last savepoint opened directly in this write: side-by-side nested writes on
   * one connection take turns, as a savepoint rolled back would otherwise undo its sibling's work.
   */
  turn?: Promise<unknown>;
}

/**
 * How the PostgreSQL store opens and nests writes (see `WriteOptions`), and how a repository's
 * call finds the write it is part of: the open write is kept in an AsyncLocalStorage for as
 * long as its `work` runs, awaits included, so callers pass no connection around.
 *
 * Written here rather than through drizzle's `transaction()`, for two things it does not do:
 * a COMMIT the server answers with ROLLBACK (a statement failed and `work` caught it) must fail
 * the write, not pass for a commit; and a connection that broke must leave the pool.
 */
export class Transactions {
  private readonly current = new AsyncLocalStorage<OpenWrite>();
  /** drizzle over each pooled connection, made once: the pool hands the same ones out again. */
  private readonly databases = new WeakMap<pg.PoolClient, Queryable>();

  constructor(private readonly pool: PgDb) {}

  /** The write this call is part of, else the pool (each query on a connection of its own). */
  get db(): Queryable {
    return this.current.getStore()?.db ?? this.pool;
  }

  /** `db`'s connection, for node-postgres directly (see `Prepared`). */
  get connection(): pg.ClientBase | pg.Pool {
    return this.current.getStore()?.client ?? this.pool.$client;
  }

  /**
   * Runs `work` as one write on one connection: BEGIN … COMMIT, or ROLLBACK if it throws. Inside
   * another write it is part of that one: a savepoint undoes it alone (`undo: "own"`), or with
   * `undo: "all"` its failure is the caller's.
   *
   * `commit: "grouped"` commits now like any other: the group commit exists because SQLite pays
   * a sync per commit on its one connection; here each write has a connection of its own and the
   * server already shares the log's flushes among commits that arrive together.
   */
  write<T>(work: () => Promise<T>, options: WriteOptions = {}): Promise<T> {
    const open = this.current.getStore();
    if (open === undefined) return this.transaction(work);
    if (options.undo === "all") return this.joining(open, work);
    return this.savepoint(open, work);
  }

  /**
   * Calls `done` once the write this call is part of has committed, or with the error that undid
   * it (a savepoint's waiters hear when the transaction around it ends); outside a write, at
   * once: every write outside one has committed when it returned.
   */
  afterCommit(done: (error?: Error) => void): void {
    const open = this.current.getStore();
    if (open === undefined) done();
    else open.waiting.push(done);
  }

  /**
   * A repository's change of several rows: part of the open write as it is, else a write of its
   * own. Unlike a caller's `undo: "all"`, its failure (a refused move) is the caller's to decide.
   */
  atomic<T>(work: () => Promise<T>): Promise<T> {
    return this.current.getStore() === undefined ? this.transaction(work) : work();
  }

  /**
   * Runs `work` on one consistent snapshot: a read-only REPEATABLE READ transaction, so every
   * query in it sees the same moment; inside a write, that write as it is.
   */
  snapshot<T>(work: () => Promise<T>): Promise<T> {
    if (this.current.getStore() !== undefined) return work();
    return this.transaction(work, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  }

  /** Part of the open write with no savepoint: its failure is the open write's too. */
  private async joining<T>(open: OpenWrite, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      open.failed ??= { error };
      throw error;
    }
  }

  /** Runs `work` in `write`, then throws if a write it joined failed (see `joining`). */
  private async within<T>(write: OpenWrite, work: () => Promise<T>): Promise<T> {
    const result = await this.current.run(write, work);
    if (write.failed !== undefined) throw write.failed.error;
    return result;
  }

  private async transaction<T>(work: () => Promise<T>, begin = "BEGIN"): Promise<T> {
    const client = await this.pool.$client.connect();
    // A connection whose BEGIN, COMMIT or ROLLBACK failed is in no state to reuse: it is
    // destroyed rather than given back.
    let broken: Error | undefined;
    const control = (statement: string) =>
      client.query(statement).catch((error: Error) => {
        broken = error;
        throw error;
      });
    try {
      await control(begin);
      let result: T;
      const write: OpenWrite = {
        client,
        db: this.over(client),
        depth: { savepoints: 0 },
        waiting: [],
      };
      try {
        try {
          result = await this.within(write, work);
        } catch (error) {
          await control("ROLLBACK");
          throw error;
        }
        const commit = await control("COMMIT");
        if (commit.command !== "COMMIT")
          throw new Error("the write was rolled back: a statement in it failed");
      } catch (error) {
        for (const done of write.waiting) done(coerceError(error));
        throw error;
      }
      for (const done of write.waiting) done();
      return result;
    } finally {
      client.release(broken);
    }
  }

  private savepoint<T>(open: OpenWrite, work: () => Promise<T>): Promise<T> {
    const mine = (open.turn ?? Promise.resolve()).then(() => this.inSavepoint(open, work));
    open.turn = mine.catch(() => undefined);
    return mine;
  }

  private async inSavepoint<T>(open: OpenWrite, work: () => Promise<T>): Promise<T> {
    const { client, depth } = open;
    const name = `write_${++depth.savepoints}`;
    try {
      await client.query(`SAVEPOINT ${name}`);
      let result: T;
      const write: OpenWrite = { client, db: open.db, depth, waiting: [] };
      try {
        result = await this.within(write, work);
      } catch (error) {
        await client.query(`ROLLBACK TO SAVEPOINT ${name}`);
        await client.query(`RELEASE SAVEPOINT ${name}`);
        for (const done of write.waiting) done(coerceError(error));
        throw error;
      }
      await client.query(`RELEASE SAVEPOINT ${name}`);
      // Undone or committed with the write around it.
      open.waiting.push(...write.waiting);
      return result;
    } finally {
      depth.savepoints--;
    }
  }

  private over(client: pg.PoolClient): Queryable {
    let db = this.databases.get(client);
    if (db === undefined) {
      db = drizzle(client, { schema });
      this.databases.set(client, db);
    }
    return db;
  }
}
