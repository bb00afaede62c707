import { sql } from "drizzle-orm";
import type {
  InterventionItem,
  InterventionRow,
  ReviewPeriod,
  ReviewQueries,
} from "../../../review/port.js";
import { countedList } from "../../review/rows.js";
import type { Transactions } from "../transactions.js";
import { rowsOf } from "./statements.js";

/**
 * Operators' actions in the period (events whose `data ->> 'action'` is set, the expression of
 * the partial index `task_events_actions`): counted by action and actor, and those outside
 * escalations.
 */
export function interventionQueries(
  transactions: Transactions,
): Pick<ReviewQueries<"async">, "interventions" | "otherInterventions"> {
  return {
    interventions: (period) => rowsOf<InterventionRow>(transactions, counts(period)),
    otherInterventions: async (period, limit) =>
      countedList(
        await rowsOf<InterventionItem & { total: number }>(transactions, others(period, limit)),
      ),
  };
}

const counts = (period: ReviewPeriod) => sql`
  SELECT data ->> 'action' AS action, actor, count(*)::int AS count
  FROM task_events
  WHERE (data ->> 'action') IS NOT NULL AND at >= ${period.start} AND at < ${period.end}
  GROUP BY data ->> 'action', actor
  ORDER BY count DESC, (data ->> 'action') COLLATE "C", actor COLLATE "C"`;

// An action that settled an escalation resolved its task's row in the same write (within a
// second); the rest were taken on tasks nobody had been asked about.
const others = (period: ReviewPeriod, limit: number) => sql`
  SELECT (count(*) OVER ())::int AS total, e.task_id AS "taskId", e.data ->> 'action' AS action,
    e.actor, e.at::float8 AS at, e.data ->> 'from' AS "from", e.data ->> 'to' AS "to", t.state
  FROM task_events e JOIN tasks t ON t.id = e.task_id
  WHERE (e.data ->> 'action') IS NOT NULL AND e.at >= ${period.start} AND e.at < ${period.end}
    AND NOT EXISTS (SELECT 1 FROM escalation_tasks l
      WHERE l.task_id = e.task_id AND l.resolved_at BETWEEN e.at - 1000 AND e.at + 1000)
  ORDER BY e.at, e.id
  LIMIT ${limit}`;
