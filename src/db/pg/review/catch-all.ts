import { sql } from "drizzle-orm";
import type { CatchAllTask, ReviewPeriod, ReviewQueries } from "../../../review/port.js";
import { countedList } from "../../review/rows.js";
import type { Transactions } from "../transactions.js";
import { rowsOf } from "./statements.js";

/** The period's catch-all tasks, for the clusters a new category may be made of. */
export function catchAllQueries(
  transactions: Transactions,
): Pick<ReviewQueries<"async">, "catchAll"> {
  return {
    catchAll: async (period, category, limit) => {
      const rows = await rowsOf<CatchAllTask & { total: number }>(
        transactions,
        landed(period, category, limit),
      );
      const { count, items } = countedList(rows);
      return { count, tasks: items };
    },
  };
}

// Rerouted out of the catch-all since (reroutes to the catch-all are refused), or still there.
const landed = (period: ReviewPeriod, category: string, limit: number) => sql`
  WITH moved AS (
    SELECT DISTINCT task_id FROM task_events
    WHERE data ->> 'action' = 'reroute' AND at >= ${period.start}
      AND data ->> 'from' = ${category}),
  landed AS (
    SELECT id, objective, state, category FROM tasks
    WHERE created_at >= ${period.start} AND created_at < ${period.end} AND category = ${category}
    UNION
    SELECT t.id, t.objective, t.state, t.category FROM moved m JOIN tasks t ON t.id = m.task_id
    WHERE t.created_at >= ${period.start} AND t.created_at < ${period.end})
  SELECT (count(*) OVER ())::int AS total, id AS "taskId", objective, state, category
  FROM landed
  ORDER BY id
  LIMIT ${limit}`;
