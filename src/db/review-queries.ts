import type Database from "better-sqlite3";
import type { ReviewQueries } from "../review/port.js";
import { activityQueries } from "./review/activity.js";
import { anomalyQueries } from "./review/anomalies.js";
import { catchAllQueries } from "./review/catch-all.js";
import { escalationQueries } from "./review/escalations.js";
import { interventionQueries } from "./review/interventions.js";
import { repeatedFailureQueries } from "./review/repeated-failures.js";
import { rerouteQueries } from "./review/reroutes.js";

/**
 * The review's aggregates in SQL, one statement per section (two for escalations), each reading
 * one month through an index: tasks by `created_at`, attempts by `ended_at`, escalations by
 * `created_at`, and operator actions through the partial index `task_events_actions` (a few rows
 * among millions).
 *
 * An operator action is an event whose `data.action` is set. The expression is always written
 * `json_extract(data, '$.action')`, exactly as in the index, so SQLite can use it.
 *
 * Each section's statements and the reading of their rows are in `src/db/review/`.
 */

/**
 * Page cache for a review, in KiB: SQLite's default 2 MB makes the month's sorts spill to temp
 * files and its joins re-read pages. Restored afterwards; the connection is shared.
 */
const REVIEW_CACHE_KIB = 64 * 1024;

/** The review's queries over one SQLite connection; statements are prepared once. */
export function createReviewQueries(sqlite: Database.Database): ReviewQueries {
  return {
    snapshot: (work) => snapshot(sqlite, work),
    ...activityQueries(sqlite),
    ...escalationQueries(sqlite),
    ...interventionQueries(sqlite),
    ...anomalyQueries(sqlite),
    ...catchAllQueries(sqlite),
    ...rerouteQueries(sqlite),
    ...repeatedFailureQueries(sqlite),
  };
}

/** One read transaction with a larger page cache; nested in a caller's transaction if any. */
function snapshot<T>(sqlite: Database.Database, work: () => T): T {
  const cache = sqlite.pragma("cache_size", { simple: true }) as number;
  // Negative sizes are KiB, positive ones pages: keep a cache that is already larger.
  const larger = cache < 0 && -cache > REVIEW_CACHE_KIB ? cache : -REVIEW_CACHE_KIB;
  sqlite.pragma(`cache_size = ${larger}`);
  try {
    return sqlite.transaction(work)();
  } finally {
    sqlite.pragma(`cache_size = ${cache}`);
  }
}
