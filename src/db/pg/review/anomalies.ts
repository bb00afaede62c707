import { sql } from "drizzle-orm";
import type { AnomalyRuleRow, ReviewPeriod, ReviewQueries } from "../../../review/port.js";
import { EXAMPLES, type WithIdList, withIds } from "../../review/id-lists.js";
import type { Transactions } from "../transactions.js";
import { rowsOf } from "./statements.js";

/** The period's anomalies by rule and category, and how many resolved themselves. */
export function anomalyQueries(
  transactions: Transactions,
): Pick<ReviewQueries<"async">, "anomaliesByRule"> {
  return {
    anomaliesByRule: async (period) =>
      (await rowsOf<WithIdList<AnomalyRuleRow>>(transactions, byRule(period))).map(withIds),
  };
}

// An anomaly resolved itself if no operator acted on its task while it was open, and no attempt
// of it failed meanwhile (a hung run ended by its timeout was a real stall, not a false alarm).
const byRule = (period: ReviewPeriod) => sql`
  WITH acted AS (
    SELECT a.id
    FROM task_events e JOIN anomalies a ON a.task_id = e.task_id
    WHERE (e.data ->> 'action') IS NOT NULL AND e.at >= ${period.start}
      AND a.detected_at >= ${period.start} AND a.detected_at < ${period.end}
      AND e.at >= a.detected_at AND e.at <= a.resolved_at
    UNION
    SELECT a.id
    FROM anomalies a JOIN attempts f ON f.task_id = a.task_id
    WHERE a.detected_at >= ${period.start} AND a.detected_at < ${period.end}
      AND f.outcome = 'failed' AND f.ended_at >= a.detected_at AND f.ended_at <= a.resolved_at),
  month AS (
    SELECT a.rule, t.category, a.task_id, a.detail, a.detected_at, a.resolved_at,
      a.resolved_at IS NOT NULL AND (a.task_id IS NULL OR a.id NOT IN (SELECT id FROM acted))
        AS self_resolved,
      row_number() OVER (PARTITION BY a.rule, t.category ORDER BY a.detected_at, a.id) AS rn
    FROM anomalies a LEFT JOIN tasks t ON t.id = a.task_id
    WHERE a.detected_at >= ${period.start} AND a.detected_at < ${period.end})
  SELECT rule, category, count(*)::int AS fired, count(resolved_at)::int AS resolved,
    (count(*) FILTER (WHERE self_resolved))::int AS "selfResolved",
    max(resolved_at - detected_at)::float8 AS "maxOpenMs",
    string_agg(task_id::text, ',') FILTER (WHERE rn <= ${EXAMPLES}) AS "taskIds",
    max(CASE WHEN rn = 1 THEN detail END) AS detail
  FROM month
  GROUP BY rule, category
  ORDER BY fired DESC, rule COLLATE "C", category COLLATE "C" NULLS FIRST`;
