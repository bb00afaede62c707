import { AsyncLocalStorage } from "node:async_hooks";
import type { NodePgQueryResultHKT } from "drizzle-orm/node-postgres";
import type { PgDatabase } from "drizzle-orm/pg-core";
import type { WriteOptions } from "../../core/ports.js";
import type { PgDb } from "./connection.js";
import type * as schema from "./schema.js";

/** The pool's database or an open transaction: what a repository's queries run on. */
export type Queryable = PgDatabase<NodePgQueryResultHKT, typeof schema>;
type Transaction = Parameters<Parameters<PgDb["transaction"]>[0]>[0];

/**
 * How the PostgreSQL store opens and nests writes (see `WriteOptions`), and how a repository's
 * call finds the write it is part of: the open transaction is kept in an AsyncLocalStorage for
 * as long as its `work` runs, awaits included, so callers pass no client around.
 */
export class Transactions {
  private readonly current = new AsyncLocalStorage<Transaction>();

  constructor(private readonly pool: PgDb) {}

  /** The write this call is part of, else the pool (each query on a connection of its own). */
  get db(): Queryable {
    return this.current.getStore() ?? this.pool;
  }

  /** Whether this call is inside a write. */
  get inWrite(): boolean {
    return this.current.getStore() !== undefined;
  }

  /**
   * Runs `work` as one write on one connection: BEGIN … COMMIT, or ROLLBACK if it throws. Inside
   * another write it is part of that one: a savepoint undoes it alone (`undo: "own"`), or with
   * `undo: "all"` its failure is the caller's.
   *
   * `commit: "grouped"` commits now like any other: the group commit exists because SQLite pays
   * a sync per commit on one connection; here each write has its own connection and the server
   * already shares the log's flushes among commits that arrive together.
   */
  write<T>(work: () => Promise<T>, options: WriteOptions = {}): Promise<T> {
    const open = this.current.getStore();
    if (open === undefined) return this.pool.transaction((tx) => this.current.run(tx, work));
    if (options.undo === "all") return work();
    return open.transaction((savepoint) => this.current.run(savepoint, work));
  }
}
