import { sql } from "drizzle-orm";
import type { ReviewPeriod, ReviewQueries } from "../../../review/port.js";
import {
  type CreatedTasksRow,
  createdTasksOf,
  type EndedAttemptsRow,
  endedAttemptsOf,
} from "../../review/rows.js";
import type { Transactions } from "../transactions.js";
import { daysOf, rowsOf } from "./statements.js";

/**
 * The month's work: the tasks created by day (and their time to done, as the text list the
 * percentiles are taken from), the attempts ended by category and failure class. Done is
 * terminal: an operator action after a failure is necessarily before done.
 */
export function activityQueries(
  transactions: Transactions,
): Pick<ReviewQueries<"async">, "createdTasks" | "endedAttempts"> {
  return {
    createdTasks: async (period) =>
      createdTasksOf(await rowsOf<CreatedTasksRow>(transactions, createdTasks(period))),
    endedAttempts: async (period) =>
      endedAttemptsOf(await rowsOf<EndedAttemptsRow>(transactions, endedAttempts(period))),
  };
}

const createdTasks = (period: ReviewPeriod) => sql`
  WITH ${daysOf(period)}
  SELECT d.day, t.category, t.state, count(*)::int AS count,
    string_agg((t.state_since - t.created_at)::text, ',') FILTER (WHERE t.state = 'done')
      AS durations
  FROM days d JOIN tasks t ON t.created_at >= d.s AND t.created_at < d.e
  GROUP BY 1, 2, 3
  ORDER BY d.day COLLATE "C", t.category COLLATE "C", t.state COLLATE "C"`;

const endedAttempts = (period: ReviewPeriod) => sql`
  WITH last_action AS (
    SELECT task_id, max(at) AS at FROM task_events
    WHERE (data ->> 'action') IS NOT NULL AND at >= ${period.start}
    GROUP BY task_id),
  grouped AS (
    SELECT t.category, (a.outcome = 'failed')::int AS failed,
      CASE WHEN a.outcome = 'failed' THEN a.failure_class END AS "failureClass",
      count(*)::int AS attempts,
      (count(*) FILTER (WHERE a.outcome = 'failed' AND t.state = 'done'
        AND coalesce(la.at, -1) < a.ended_at))::int AS "autoRecovered"
    FROM attempts a JOIN tasks t ON t.id = a.task_id
      LEFT JOIN last_action la ON la.task_id = a.task_id
    WHERE a.ended_at >= ${period.start} AND a.ended_at < ${period.end}
    GROUP BY 1, 2, 3)
  SELECT * FROM grouped
  ORDER BY category COLLATE "C", failed, "failureClass" COLLATE "C" NULLS FIRST`;
