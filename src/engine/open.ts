import { dirname } from "node:path";
import type { Settings } from "../config/env.js";
import type { Config } from "../config/schema.js";
import { systemClock } from "../core/clock.js";
import { asyncSqliteStore } from "../db/async-sqlite-store.js";
import { type OpenDatabase, openDatabase } from "../db/connection.js";
import { sqliteStore } from "../db/sqlite-store.js";
import { buildReview, type Review } from "../review/report.js";
import { Engine } from "./engine.js";

type Where = Pick<Settings, "dbPath" | "configPath">;

/**
 * An engine on the database at `settings.dbPath` for one command of the command line, never
 * started (it reads, and never claims a task from a running Steward); the database is closed
 * once `work` is over, when it returns or, for a promise, when that settles.
 */
export function withEngine<T>(settings: Where, config: Config, work: (engine: Engine) => T): T {
  const database = openDatabase(settings.dbPath);
  return closingAfter(database, () =>
    work(new Engine({ config, configDir: dirname(settings.configPath), database })),
  );
}

/** The month's review straight from the database file, with no engine built (`steward review`). */
export function withReviews<T>(
  settings: Pick<Settings, "dbPath">,
  config: Config,
  work: (review: (month: string) => Promise<Review>) => T,
): T {
  const database = openDatabase(settings.dbPath);
  return closingAfter(database, () => {
    const { review } = asyncSqliteStore(sqliteStore(database, systemClock));
    return work((month) => buildReview(review, config, month));
  });
}

function closingAfter<T>(database: OpenDatabase, work: () => T): T {
  let result: T;
  try {
    result = work();
  } catch (error) {
    database.close();
    throw error;
  }
  if (result instanceof Promise) return result.finally(() => database.close()) as T;
  database.close();
  return result;
}
