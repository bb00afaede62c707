import type { ReviewQueries } from "../../review/port.js";
import { activityQueries } from "./review/activity.js";
import { anomalyQueries } from "./review/anomalies.js";
import { catchAllQueries } from "./review/catch-all.js";
import { escalationQueries } from "./review/escalations.js";
import { interventionQueries } from "./review/interventions.js";
import { repeatedFailureQueries } from "./review/repeated-failures.js";
import { rerouteQueries } from "./review/reroutes.js";
import type { Transactions } from "./transactions.js";

/**
 * The review's aggregates on PostgreSQL, one module per section under `review/`, answering what
 * the SQLite statements (`src/db/review/`) answer: the rows are read by the same functions
 * (`src/db/review/rows.ts`). A snapshot is one read-only REPEATABLE READ transaction.
 */
export function pgReviewQueries(transactions: Transactions): ReviewQueries<"async"> {
  return {
    snapshot: (work) => transactions.snapshot(work),
    ...activityQueries(transactions),
    ...escalationQueries(transactions),
    ...interventionQueries(transactions),
    ...anomalyQueries(transactions),
    ...catchAllQueries(transactions),
    ...rerouteQueries(transactions),
    ...repeatedFailureQueries(transactions),
  };
}
