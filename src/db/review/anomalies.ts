import type { AnomalyRuleRow, ReviewQueries } from "../../review/port.js";
import { EXAMPLES, type WithIdList, withIds } from "./id-lists.js";
import { range, sectionQueries } from "./statements.js";

const SQL = {
  // An anomaly resolved itself if no operator acted on its task while it was open, and no
  // attempt of it failed meanwhile (a hung run ended by its timeout was a real stall, not a
  // false alarm). The actions come from the partial index alone (no event is read), and each
  // probes the month's anomalies of its task: a correlated NOT EXISTS would read every event of
  // every anomaly's task instead. The failures are read through attempts_task.
  anomaliesByRule: `
    WITH acted AS (
      SELECT DISTINCT a.id
      FROM task_events e INDEXED BY task_events_actions
        JOIN anomalies a ON a.task_id = e.task_id
      WHERE json_extract(e.data, '$.action') IS NOT NULL AND e.at >= @start
        AND a.detected_at >= @start AND a.detected_at < @end
        AND e.at >= a.detected_at AND e.at <= a.resolved_at
      UNION
      SELECT a.id
      FROM anomalies a JOIN attempts f ON f.task_id = a.task_id
      WHERE a.detected_at >= @start AND a.detected_at < @end AND f.outcome = 'failed'
        AND f.ended_at >= a.detected_at AND f.ended_at <= a.resolved_at),
    month AS (
      SELECT a.rule, t.category, a.task_id, a.detail, a.detected_at, a.resolved_at,
        a.resolved_at IS NOT NULL AND (a.task_id IS NULL OR a.id NOT IN acted) AS self_resolved,
        row_number() OVER (PARTITION BY a.rule, t.category ORDER BY a.detected_at, a.id) AS rn
      FROM anomalies a LEFT JOIN tasks t ON t.id = a.task_id
      WHERE a.detected_at >= @start AND a.detected_at < @end)
    SELECT rule, category, count(*) AS fired, count(resolved_at) AS resolved,
      sum(self_resolved) AS selfResolved, max(resolved_at - detected_at) AS maxOpenMs,
      group_concat(CASE WHEN rn <= @examples THEN task_id END) AS taskIds,
      max(CASE WHEN rn = 1 THEN detail END) AS detail
    FROM month
    GROUP BY rule, category
    ORDER BY fired DESC, rule, category`,
} as const;

/** The period's anomalies by rule and category, and how many resolved themselves. */
export const anomalyQueries = sectionQueries(
  SQL,
  (statements): Pick<ReviewQueries, "anomaliesByRule"> => ({
    anomaliesByRule: (period) =>
      (
        statements.anomaliesByRule.all({
          ...range(period),
          examples: EXAMPLES,
        }) as WithIdList<AnomalyRuleRow>[]
      ).map(withIds),
  }),
);
