import type { ReviewQueries } from "../../review/port.js";
import {
  type CreatedTasksRow,
  createdTasksOf,
  type EndedAttemptsRow,
  endedAttemptsOf,
} from "./rows.js";
import { DAYS, dayByDay, days, range, sectionQueries } from "./statements.js";

const SQL = {
  // One read of the month's tasks (tasks_created, then each row) for volume, daily figures and
  // time to done. A done task never moves again, so `state_since` is when it reached done; the
  // durations come as one list per day and category, and the percentiles are taken in
  // `createdTasks` below (sorting them in JS is several times cheaper than SQLite's window
  // functions). INDEXED BY: without statistics SQLite would rather read every done task ever by
  // state.
  createdTasks: `
    WITH ${DAYS}
    SELECT d.day AS day, g.value ->> 0 AS category, g.value ->> 1 AS state,
      g.value ->> 2 AS count, g.value ->> 3 AS durations
    FROM ${dayByDay(
      ["category", "state", "count", "durations"],
      `SELECT category, state, count(*) AS count,
          group_concat(CASE WHEN state = 'done' THEN state_since - created_at END) AS durations
        FROM tasks INDEXED BY tasks_created
        WHERE created_at >= d.s AND created_at < d.e
        GROUP BY 1, 2`,
    )}
    ORDER BY 1, 2, 3`,

  // One read of the month's attempts (from the index alone) for both the attempts by category and
  // the failures by class. Done is terminal: an operator action after the failure is necessarily
  // before done. The last action is looked up for the failures of done tasks only: a scalar
  // subquery runs only when its CASE is reached, where a join would probe for every attempt.
  // INDEXED BY: the planner would otherwise walk every event to avoid sorting by task.
  endedAttempts: `
    WITH ${DAYS},
    last_action AS MATERIALIZED (
      SELECT task_id, max(at) AS at
      FROM task_events INDEXED BY task_events_actions
      WHERE json_extract(data, '$.action') IS NOT NULL AND at >= @start
      GROUP BY task_id)
    SELECT g.value ->> 0 AS category, g.value ->> 1 AS failed, g.value ->> 2 AS failureClass,
      sum(g.value ->> 3) AS attempts, sum(g.value ->> 4) AS autoRecovered
    FROM ${dayByDay(
      ["category", "failed", "failureClass", "attempts", "recovered"],
      `SELECT t.category AS category, a.outcome = 'failed' AS failed,
          CASE WHEN a.outcome = 'failed' THEN a.failure_class END AS failureClass,
          count(*) AS attempts,
          sum(CASE WHEN a.outcome = 'failed' AND t.state = 'done'
            THEN coalesce((SELECT la.at FROM last_action la WHERE la.task_id = a.task_id), -1)
              < a.ended_at
            ELSE 0 END) AS recovered
        FROM attempts a JOIN tasks t ON t.id = a.task_id
        WHERE a.ended_at >= d.s AND a.ended_at < d.e
        GROUP BY 1, 2, 3`,
    )}
    GROUP BY 1, 2, 3`,
} as const;

/** The month's work, day by day: the tasks created (and their time to done), the attempts ended. */
export const activityQueries = sectionQueries(
  SQL,
  (statements): Pick<ReviewQueries, "createdTasks" | "endedAttempts"> => ({
    createdTasks: (period) =>
      createdTasksOf(statements.createdTasks.all(days(period)) as CreatedTasksRow[]),
    endedAttempts: (period) =>
      endedAttemptsOf(
        statements.endedAttempts.all({ ...range(period), ...days(period) }) as EndedAttemptsRow[],
      ),
  }),
);
