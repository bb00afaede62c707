import { join } from "node:path";
import { sql } from "drizzle-orm";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { PACKAGE_ROOT } from "../../package-info.js";
import { newerSchema, newestMigration, refuseNewerSchema } from "../schema-age.js";
import * as schema from "./schema.js";

/** The migrations drizzle-kit generated for PostgreSQL, shipped beside the source. */
export const PG_MIGRATIONS_FOLDER = join(PACKAGE_ROOT, "drizzle-pg");

/** The drizzle database over the pool: each query takes a connection and gives it back. */
export type PgDb = NodePgDatabase<typeof schema> & { $client: pg.Pool };

export interface OpenPostgres {
  db: PgDb;
  pool: pg.Pool;
  /** Ends the pool once its connections are idle. */
  close(): Promise<void>;
}

export interface PostgresOptions {
  /** Apply pending migrations (the default). */
  migrate?: boolean;
  /** Connections in the pool (pg's default is 10). */
  max?: number;
  /**
   * A connection broke (the server restarted, a network cut), idle or in use: told here instead
   * of crashing the process. The pool replaces it; the query or write it was serving fails on
   * its own.
   */
  onConnectionError?: (error: Error) => void;
}

/**
 * One key for every process migrating one database: the first to take the lock migrates, the
 * others wait and then find nothing to do (drizzle's migrator alone would race on its own
 * bookkeeping table).
 */
const MIGRATION_LOCK = sql`hashtext('steward.migrate')`;

/** Opens a pool on a `postgres://` URL and applies pending migrations, one process at a time. */
export async function openPostgres(
  url: string,
  options: PostgresOptions = {},
): Promise<OpenPostgres> {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
  // node-postgres emits a broken connection's error on its client, and the pool listens only
  // while the client is idle: one lent out (a write between statements) would throw it
  // unheard. Each client is listened to for its whole life instead.
  pool.on("connect", (client) => {
    client.on("error", (error) => options.onConnectionError?.(error));
  });
  // The pool also passes an idle client's error on to itself; heard above already.
  pool.on("error", () => {});
  const db = drizzle(pool, { schema });
  try {
    if (options.migrate !== false) await migrateSerialized(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return { db, pool, close: () => pool.end() };
}

/** Runs drizzle's migrator on one connection while it holds the migration lock. */
export async function migrateSerialized(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    const db = drizzle(client, { schema });
    await db.execute(sql`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
    try {
      const before = await newestApplied(client);
      refuseNewerSchema("the database", before, PG_MIGRATIONS_FOLDER);
      await migrate(db, { migrationsFolder: PG_MIGRATIONS_FOLDER });
      // Something was applied (the database was behind this Steward): processes already
      // running may be older than it now, so they are told to check.
      if (before !== newestMigration(PG_MIGRATIONS_FOLDER)) {
        await client.query("SELECT pg_notify($1, '')", [MIGRATED_CHANNEL]);
      }
    } finally {
      await db.execute(sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`);
    }
  } catch (error) {
    // Not given back to the pool: it may still hold the lock, or be broken.
    failure = error as Error;
    throw error;
  } finally {
    client.release(failure);
  }
}

/** The channel a process that migrated the database notifies on (see `schemaOutgrown`). */
export const MIGRATED_CHANNEL = "steward_migrated";

/**
 * Whether the database's schema is newer than this Steward's now (another host, upgraded, has
 * migrated it since this process started): the error to stop with, or undefined.
 */
export async function schemaOutgrown(pool: pg.Pool): Promise<Error | undefined> {
  return newerSchema("the database", await newestApplied(pool), PG_MIGRATIONS_FOLDER);
}

/** The newest migration applied to the database (drizzle's bookkeeping); undefined for a new one. */
async function newestApplied(client: pg.PoolClient | pg.Pool): Promise<number | undefined> {
  const { rows } = await client
    .query<{ newest: string | null }>(
      "SELECT max(created_at)::text AS newest FROM drizzle.__drizzle_migrations",
    )
    .catch((error: { code?: string }) => {
      // undefined_table, invalid_schema_name: nothing was ever migrated here.
      if (error.code === "42P01" || error.code === "3F000") return { rows: [] };
      throw error;
    });
  const newest = rows[0]?.newest;
  return newest === null || newest === undefined ? undefined : Number(newest);
}
