import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import pg from "pg";
import { afterAll, afterEach, beforeAll } from "vitest";
import { PG_MIGRATIONS_FOLDER } from "../src/db/pg/connection.js";
import { newestMigration } from "../src/db/schema-age.js";

/**
 * A PostgreSQL database of its own for each test file: made on first use from the server's
 * `test` database, dropped after the file's tests (with whatever connections are left).
 */

/** The server the tests use (trust authentication, user postgres). */
const SERVER = process.env.STEWARD_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";

/** Makes sure the server answers, starting the local cluster if it is installed but down. */
export function ensurePostgres(): void {
  const { hostname, port } = new URL(SERVER);
  const ready = () => {
    try {
      execFileSync("pg_isready", ["-q", "-h", hostname, "-p", port || "5432"]);
      return true;
    } catch {
      return false;
    }
  };
  if (ready()) return;
  const versions = existsSync("/etc/postgresql") ? readdirSync("/etc/postgresql") : [];
  if (versions.length === 0) throw new Error(`PostgreSQL is not answering at ${hostname}`);
  for (const version of versions) {
    execFileSync("pg_ctlcluster", ["--skip-systemctl-redirect", version, "main", "start"]);
  }
  for (let tries = 0; tries < 50 && !ready(); tries++) execFileSync("sleep", ["0.1"]);
  if (!ready()) throw new Error(`PostgreSQL did not start at ${hostname}`);
}

async function onServer<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const made: string[] = [];
afterAll(async () => {
  if (made.length === 0) return;
  await onServer(async (client) => {
    for (const name of made.splice(0))
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
});

/** A fresh, empty database (not migrated); returns its URL. Dropped after the file's tests. */
export async function postgresDatabase(): Promise<string> {
  ensurePostgres();
  const name = `steward_t_${randomBytes(6).toString("hex")}`;
  await onServer((client) => client.query(`CREATE DATABASE ${name}`));
  made.push(name);
  const url = new URL(SERVER);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * The file's database and a client on it (to look behind Steward's back), made before its tests
 * and closed after them; read the fields inside tests and hooks.
 */
export function databaseWithClient(): { readonly url: string; readonly client: pg.Client } {
  const held = {} as { url: string; client: pg.Client };
  beforeAll(async () => {
    held.url = await postgresDatabase();
    held.client = new pg.Client({ connectionString: held.url });
    await held.client.connect();
  });
  afterAll(() => held.client.end());
  return held;
}

/**
 * Connections cut under a process at work, as a flapping network or server would: every
 * connection to `spared`'s database but its own, `rounds` times, 20 ms apart and 10 ms more each
 * time (one lent out to a write is likely among them).
 */
export async function cutConnections(spared: pg.Client, rounds: number): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    await spared.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    await new Promise((resolve) => setTimeout(resolve, 20 + round * 10));
  }
}

/**
 * A restart, as the database at `url` sees it: the server cuts every connection to it but
 * `spared`'s (a test's own client) and refuses new ones for `ms`.
 */
export async function refuseConnections(url: string, spared: pg.Client, ms: number): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const { rows } = await spared.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
  await onServer(async (client) => {
    await client.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    try {
      await client.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> $2",
        [name, rows[0]!.pid],
      );
      await new Promise((resolve) => setTimeout(resolve, ms));
    } finally {
      await client.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    }
  });
}

/**
 * Empties every table of a migrated database and restarts its ids: a fresh store for each test
 * at a fraction of a new database's cost (one database per file, see `postgresDatabase`).
 */
export async function emptyTables(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      "SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public'",
    );
    if (rows.length === 0) return;
    const tables = rows.map((row) => row.name).join(", ");
    await client.query(`TRUNCATE ${tables} RESTART IDENTITY CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * The file's database (`databaseWithClient`) for tests that start engines on it: each pushes
 * how to stop what it started onto `stops`; after each test they are stopped, last first, and
 * the tables emptied.
 */
export function databaseEmptiedAfterEach(): {
  database: { readonly url: string; readonly client: pg.Client };
  stops: Array<() => Promise<void>>;
} {
  const database = databaseWithClient();
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await emptyTables(database.url);
  });
  return { database, stops };
}

/**
 * Records on `client`'s database a migration a day newer than any this Steward has, as a newer
 * Steward's start on another host would have applied it.
 */
export async function recordNewerMigration(client: pg.Client): Promise<void> {
  const newer = newestMigration(PG_MIGRATIONS_FOLDER) + 86_400_000;
  await client.query(
    "INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('next', $1)",
    [newer],
  );
}
