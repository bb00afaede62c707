import { dirname, resolve } from "node:path";
import type { StoreLocation } from "../config/env.js";
import type { Clock } from "../core/clock.js";
import type { Roles } from "../core/roles.js";
import { CONFIRMATIONS_READ, type LearnedExample } from "../routing/learned.js";
import { asyncSqliteStore } from "./async-sqlite-store.js";
import {
  checkWritable,
  type DatabaseOptions,
  type OpenDatabase,
  openDatabase,
} from "./connection.js";
import { cannotOpenSqlite } from "./sqlite-owner.js";
import { sqliteStore } from "./sqlite-store.js";
import type { Store } from "./store.js";

/**
 * A store opened for an engine: its ports, what the router learns before the first request, and
 * what only the database can say (whether it takes writes, where files that go with it belong).
 */
export interface OpenStore {
  readonly store: Store<"async">;
  /** The time the store writes, which the engine on it keeps too (see `OpenStoreOptions.time`). */
  readonly clock: Clock;
  /**
   * With the server's time: how far the server's clock is ahead of this host's (behind when
   * negative), in ms, as measured at opening.
   */
  readonly clockOffsetMs?: number;
  /**
   * People's routing decisions and the latest confirmations as of opening, each list oldest
   * first: the router is built on them (and leaves out the catch-all's confirmations).
   */
  readonly learned: readonly LearnedExample[];
  /** Files that belong with the data (review charts, the console's log and history) go here. */
  readonly dataDir: string;
  /** Where the data is, fit to print (a URL without its password). */
  readonly description: string;
  /** Throws when the database cannot take a write now (`/readyz`). */
  checkWritable(): Promise<void>;
  /**
   * Set when several processes may share the store (PostgreSQL): how they take turns at the
   * roles and hear of new work. Shared, leases are recovered at start-up only once expired.
   */
  readonly coordination?: Coordination;
}

/** How the processes sharing a store coordinate, each on a connection of its own. */
export interface Coordination {
  /** One process at a time holds each role. */
  roles(onError: (error: Error) => void): Roles;
  /**
   * Calls `onWork` when a write queued work in a category, and with no category when notices
   * may have been missed (a lost connection): look at every category then. Calls `onOutgrown`
   * when another process has migrated the database past this Steward's schema (a host upgraded
   * while this one was not): the process must stop. Resolves listening.
   */
  listen(
    onWork: (category?: string) => void,
    onError: (error: Error) => void,
    onOutgrown?: (error: Error) => void,
  ): Promise<{ close(): Promise<void> }>;
}

/** The store on an open SQLite database, its busy paths' statements prepared. */
export function sqliteOpenStore(database: OpenDatabase, clock: Clock): OpenStore {
  const sync = sqliteStore(database, clock);
  // The busy paths' statements, ready before the first request or claim, not during it.
  sync.tasks.prepare();
  sync.queue.prepare();
  sync.outbox.prepare();
  const file = database.sqlite.name;
  return {
    store: asyncSqliteStore(sync),
    clock,
    learned: [
      ...sync.routingExamples.list(),
      ...sync.routingExamples.confirmations(CONFIRMATIONS_READ),
    ],
    dataDir: dataDirOf({ kind: "sqlite", path: file }),
    description: file,
    // Outside a transaction, take the write lock and let it go; an open group is writing already.
    checkWritable: async () => checkWritable(database.sqlite),
  };
}

export interface OpenStoreOptions {
  /** SQLite only: see `DatabaseOptions`. */
  sqlite?: DatabaseOptions;
  /** PostgreSQL only: a connection of the pool broke (see `PostgresOptions`). */
  onConnectionError?: (error: Error) => void;
  /**
   * PostgreSQL only: `"server"` takes time from the database server (the clock given, corrected
   * by its measured offset: `ServerClock`), so that processes on several hosts agree on it. The
   * commands set it; tests and simulations keep the clock they give.
   */
  time?: "server";
}

/** Opens (creating and migrating if needed) the store at `where`. */
export async function openStore(
  where: StoreLocation,
  clock: Clock,
  options: OpenStoreOptions = {},
): Promise<OpenStore> {
  if (where.kind === "sqlite") {
    const database = openNamed(where.path, options.sqlite);
    await database.ready;
    return sqliteOpenStore(database, clock);
  }
  // Loaded only when asked for: a SQLite deployment never loads the PostgreSQL driver.
  const { openPostgres, schemaOutgrown } = await import("./pg/connection.js");
  const { postgresStore, postgresWritable } = await import("./pg/store.js");
  const { redacted } = await import("./pg/migrate-store.js");
  const { Leadership } = await import("./pg/leadership.js");
  const { Wakeups } = await import("./pg/wakeups.js");
  const { ServerClock } = await import("./pg/server-clock.js");
  const { url } = where;
  const { onConnectionError } = options;
  const database = await openPostgres(url, { onConnectionError }).catch((error: unknown) => {
    throw new Error(`cannot open PostgreSQL at ${redacted(url)} (${(error as Error).message})`);
  });
  const serverClock = options.time === "server" ? new ServerClock(clock, database.pool) : undefined;
  const close = async () => {
    serverClock?.stop();
    await database.close();
  };
  const storeClock = serverClock ?? clock;
  const store = postgresStore({ ...database, close }, storeClock);
  const { routingExamples } = store;
  const learned = await Promise.all([
    serverClock?.start(),
    routingExamples.list(),
    routingExamples.confirmations(CONFIRMATIONS_READ),
  ])
    .then(([, decisions, confirmations]) => [...decisions, ...confirmations])
    .catch(async (error: unknown) => {
      await store.close();
      throw error;
    });
  return {
    store,
    clock: storeClock,
    clockOffsetMs: serverClock?.offsetMs,
    learned,
    dataDir: dataDirOf(where),
    description: redacted(where.url),
    checkWritable: () => postgresWritable(database),
    coordination: {
      roles: (onError) => new Leadership(url, { onError }),
      listen: async (onWork, onError, onOutgrown) => {
        const wakeups = new Wakeups(url, {
          onWork: (category) => onWork(category),
          onResync: () => onWork(),
          onMigrated: () => {
            schemaOutgrown(database.pool).then((outgrown) => {
              if (outgrown !== undefined) onOutgrown?.(outgrown);
            }, onError);
          },
          onError,
        });
        await wakeups.start();
        return wakeups;
      },
    },
  };
}

/** Beside the SQLite file; `data/` in the working folder for PostgreSQL or a memory database. */
export function dataDirOf(where: StoreLocation): string {
  if (where.kind === "sqlite" && where.path !== ":memory:") return dirname(resolve(where.path));
  return resolve("data");
}

/** The database file, or an error that names the setting to change. */
function openNamed(path: string, options?: DatabaseOptions): OpenDatabase {
  try {
    return openDatabase(path, options);
  } catch (error) {
    throw cannotOpenSqlite(path, error);
  }
}
