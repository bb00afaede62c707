import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import { type BetterSQLite3Database, drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { PACKAGE_ROOT } from "../package-info.js";
import { WalCheckpointer } from "./checkpointer.js";
import { GroupCommit, type GroupCommitOptions } from "./group-commit.js";
import * as schema from "./schema.js";
import { refuseNewerSchema } from "./schema-age.js";
import { Writes } from "./writes.js";

/** The migrations drizzle-kit generated, shipped beside the source (and beside `dist/`). */
export const MIGRATIONS_FOLDER = join(PACKAGE_ROOT, "drizzle");

/** The drizzle database, with the better-sqlite3 connection it runs on (`$client`). */
export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export interface OpenDatabase {
  sqlite: Database.Database;
  db: Db;
  /** Lets the busy paths' writes share commits (see GroupCommit). */
  commits: GroupCommit;
  /** How writes on this connection are opened, nested and committed (see `WriteOptions`). */
  writes: Writes;
  /** Commits the open group, then closes. */
  close(): void;
  /** Resolves once background checkpoints, when asked for, have started (see WalCheckpointer). */
  ready: Promise<void>;
}

/**
 * A grouped write is committed within 20 ms, or once 1024 units share its group: long enough
 * for a burst to share one commit, far below what a person notices (requests from the doors
 * do not wait for it: see Filings). Shorter windows commit more often and process fewer tasks
 * a second (docs/performance.md).
 */
const GROUPING = { windowMs: 20, maxUnits: 1024 };

/**
 * A background checkpoint every 100 ms keeps the log to what 100 ms of writes add; the
 * connection checkpoints itself only past 8,192 pages (32 MiB at 4 KiB pages), against
 * SQLite's default of 1,000.
 */
const BACKGROUND_CHECKPOINTS = { everyMs: 100, fallbackPages: 8192 };

export interface DatabaseOptions {
  /** Apply pending migrations (the default). */
  migrate?: boolean;
  /**
   * Checkpoint the log on a thread of its own (see WalCheckpointer), its failures reported to
   * `onError`: for the long-running process. Commands and tests checkpoint at commit.
   */
  backgroundCheckpoints?: { onError: (message: string) => void };
  /** How long a group of writes may wait for its commit (see GROUPING; tests that time it). */
  grouping?: GroupCommitOptions;
}

/** Opens (creating if needed) the SQLite file in WAL mode and applies pending migrations. */
export function openDatabase(file: string, options: DatabaseOptions = {}): OpenDatabase {
  if (file !== ":memory:") mkdirSync(dirname(resolve(file)), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the tail.
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  // Savepoints (nested transactions) journal every page they touch: in memory, not a temp file.
  sqlite.pragma("temp_store = MEMORY");
  // Up to 64 MiB of pages in memory (SQLite's default is 2 MiB): the checker's reads over a
  // large history hit the cache instead of the OS. Taken only as pages are read.
  sqlite.pragma("cache_size = -65536");
  const db = drizzle(sqlite, { schema });
  try {
    refuseNewerSchema("the database", newestApplied(sqlite), MIGRATIONS_FOLDER);
  } catch (error) {
    sqlite.close();
    throw error;
  }
  if (options.migrate !== false) migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  const commits = new GroupCommit(sqlite, options.grouping ?? GROUPING);
  const writes = new Writes(sqlite, commits);
  const background = options.backgroundCheckpoints;
  const checkpointer =
    background === undefined || file === ":memory:"
      ? undefined
      : new WalCheckpointer(resolve(file), sqlite, BACKGROUND_CHECKPOINTS, background.onError);
  return {
    sqlite,
    db,
    commits,
    writes,
    close: () => {
      commits.commit();
      checkpointer?.stop();
      sqlite.close();
    },
    ready: checkpointer?.ready ?? Promise.resolve(),
  };
}

/**
 * Writable, measured: outside a transaction, take the write lock and let it go. A group of
 * writes being open means the connection is writing already. Throws when it is not writable.
 */
export function checkWritable(sqlite: Database.Database): void {
  if (sqlite.readonly) throw new Error("the database is open read-only");
  if (sqlite.inTransaction) return;
  sqlite.exec("BEGIN IMMEDIATE");
  sqlite.exec("ROLLBACK");
}

/** The newest migration applied to the file (drizzle's bookkeeping); undefined for a new file. */
function newestApplied(sqlite: Database.Database): number | undefined {
  const kept = sqlite
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'")
    .get();
  if (kept === undefined) return undefined;
  const newest = sqlite.prepare("SELECT max(created_at) FROM __drizzle_migrations").pluck().get();
  return typeof newest === "number" ? newest : undefined;
}
