import type { InterventionItem, InterventionRow, ReviewQueries } from "../../review/port.js";
import { countedList } from "./rows.js";
import { range, sectionQueries } from "./statements.js";

const SQL = {
  interventions: `
    SELECT json_extract(data, '$.action') AS action, actor, count(*) AS count
    FROM task_events INDEXED BY task_events_actions
    WHERE json_extract(data, '$.action') IS NOT NULL AND at >= @start AND at < @end
    GROUP BY 1, 2
    ORDER BY count DESC, action, actor`,

  // An action that settled an escalation resolved its task's row in the same transaction (each
  // write reads the clock, so within a second, not to the millisecond); the rest were taken on
  // tasks nobody had been asked about (a console cancel, a reroute of a queued task).
  otherInterventions: `
    SELECT count(*) OVER () AS total, e.task_id AS taskId,
      json_extract(e.data, '$.action') AS action, e.actor AS actor, e.at AS at,
      json_extract(e.data, '$.from') AS "from", json_extract(e.data, '$.to') AS "to",
      t.state AS state
    FROM task_events e INDEXED BY task_events_actions JOIN tasks t ON t.id = e.task_id
    WHERE json_extract(e.data, '$.action') IS NOT NULL AND e.at >= @start AND e.at < @end
      AND NOT EXISTS (SELECT 1 FROM escalation_tasks l
        WHERE l.task_id = e.task_id AND l.resolved_at BETWEEN e.at - 1000 AND e.at + 1000)
    ORDER BY e.at, e.id
    LIMIT @limit`,
} as const;

/** Operators' actions in the period: counted by action and actor, and those outside escalations. */
export const interventionQueries = sectionQueries(
  SQL,
  (statements): Pick<ReviewQueries, "interventions" | "otherInterventions"> => ({
    interventions: (period) => statements.interventions.all(range(period)) as InterventionRow[],
    otherInterventions: (period, limit) =>
      countedList(
        statements.otherInterventions.all({ ...range(period), limit }) as (InterventionItem & {
          total: number;
        })[],
      ),
  }),
);
