import { AsyncLocalStorage } from "node:async_hooks";
import { drizzle, type NodePgQueryResultHKT } from "drizzle-orm/node-postgres";
import type { PgDatabase } from "drizzle-orm/pg-core";
import type pg from "pg";
import type { WriteOptions } from "../../core/ports.js";
import type { PgDb } from "./connection.js";
import * as schema from "./schema.js";

/** The pool's database or an open transaction: what a repository's queries run on. */
export type Queryable = PgDatabase<NodePgQueryResultHKT, typeof schema>;

/** An open write: its connection, drizzle over it, and how many savepoints are open in it. */
interface OpenWrite {
  client: pg.PoolClient;
  db: Queryable;
  savepoints: number;
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
    if (options.undo === "all") return work();
    return this.savepoint(open, work);
  }

  private async transaction<T>(work: () => Promise<T>): Promise<T> {
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
      await control("BEGIN");
      let result: T;
      try {
        result = await this.current.run({ client, db: this.over(client), savepoints: 0 }, work);
      } catch (error) {
        await control("ROLLBACK");
        throw error;
      }
      const commit = await control("COMMIT");
      if (commit.command !== "COMMIT")
        throw new Error("the write was rolled back: a statement in it failed");
      return result;
    } finally {
      client.release(broken);
    }
  }

  private async savepoint<T>(open: OpenWrite, work: () => Promise<T>): Promise<T> {
    const name = `write_${++open.savepoints}`;
    try {
      await open.client.query(`SAVEPOINT ${name}`);
      try {
        const result = await work();
        await open.client.query(`RELEASE SAVEPOINT ${name}`);
        return result;
      } catch (error) {
        await open.client.query(`ROLLBACK TO SAVEPOINT ${name}`);
        await open.client.query(`RELEASE SAVEPOINT ${name}`);
        throw error;
      }
    } finally {
      open.savepoints--;
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
