import type { CatchAllTask, ReviewQueries } from "../../review/port.js";
import { countedList } from "./rows.js";
import { range, sectionQueries } from "./statements.js";

const SQL = {
  // Rerouted out of the catch-all since (reroutes to the catch-all are refused), or still there.
  catchAll: `
    WITH moved AS (
      SELECT DISTINCT task_id FROM task_events INDEXED BY task_events_actions
      WHERE json_extract(data, '$.action') = 'reroute' AND at >= @start
        AND json_extract(data, '$.from') = @category),
    landed AS (
      SELECT id, objective, state, category FROM tasks
      WHERE created_at >= @start AND created_at < @end AND category = @category
      UNION
      SELECT t.id, t.objective, t.state, t.category FROM moved m JOIN tasks t ON t.id = m.task_id
      WHERE t.created_at >= @start AND t.created_at < @end)
    SELECT count(*) OVER () AS total, id AS taskId, objective, state, category
    FROM landed
    ORDER BY id
    LIMIT @limit`,
} as const;

/** The period's catch-all tasks, for the clusters a new category may be made of. */
export const catchAllQueries = sectionQueries(
  SQL,
  (statements): Pick<ReviewQueries, "catchAll"> => ({
    catchAll: (period, category, limit) => {
      const rows = statements.catchAll.all({ ...range(period), category, limit });
      const { count, items } = countedList(rows as (CatchAllTask & { total: number })[]);
      return { count, tasks: items };
    },
  }),
);
