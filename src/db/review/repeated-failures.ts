import type Database from "better-sqlite3";
import { errorSignature } from "../../policy/classify.js";
import type { ReviewQueries } from "../../review/port.js";
import { type RepeatedFailureText, repeatedFailuresOf } from "./rows.js";
import { DAYS, dayByDay, days, prepareAll } from "./statements.js";

/** The same normalisation as escalation root causes, callable from SQL. */
const SIGNATURE_FUNCTION = "steward_error_signature";

const SQL = {
  // Grouped by worker and error day by day, then by worker and signature: the signature is
  // computed once per distinct error message, not once per attempt (a call into JS each). The
  // task ids come with repeats (a task failing twice, or on two days); `repeatedFailures` below
  // counts them once.
  repeatedLogicFailures: `
    WITH ${DAYS},
    failed AS MATERIALIZED (
      SELECT g.value ->> 0 AS worker, g.value ->> 1 AS error, g.value ->> 2 AS count,
        g.value ->> 3 AS taskIds
      FROM ${dayByDay(
        ["worker", "error", "count", "taskIds"],
        `SELECT worker, error, count(*) AS count, group_concat(task_id) AS taskIds
          FROM attempts
          WHERE ended_at >= d.s AND ended_at < d.e
            AND outcome = 'failed' AND failure_class = 'logic'
          GROUP BY 1, 2`,
      )}),
    signatures AS MATERIALIZED (
      SELECT error, ${SIGNATURE_FUNCTION}(coalesce(error, '')) AS signature
      FROM (SELECT DISTINCT error FROM failed))
    SELECT f.worker AS worker, s.signature AS signature, sum(f.count) AS count,
      coalesce(min(f.error), '') AS example, group_concat(f.taskIds) AS taskIds
    FROM failed f JOIN signatures s ON s.error IS f.error
    GROUP BY 1, 2
    HAVING sum(f.count) >= @minCount
    ORDER BY count DESC, worker, signature`,
} as const;

/** The same logic failure of one worker again and again in the period. */
export function repeatedFailureQueries(
  sqlite: Database.Database,
): Pick<ReviewQueries, "repeatedLogicFailures"> {
  sqlite.function(SIGNATURE_FUNCTION, { deterministic: true }, (error: unknown) =>
    errorSignature(String(error ?? "")),
  );
  const statements = prepareAll(sqlite, SQL);
  return {
    repeatedLogicFailures: (period, minCount) =>
      repeatedFailuresOf(
        statements.repeatedLogicFailures.all({
          ...days(period),
          minCount,
        }) as RepeatedFailureText[],
      ),
  };
}
