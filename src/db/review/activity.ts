import type {
  CategoryAttemptsRow,
  CreatedRow,
  CreatedTasks,
  DurationRow,
  EndedAttempts,
  FailedAttemptsRow,
  ReviewQueries,
} from "../../review/port.js";
import {
  DAYS,
  dayByDay,
  days,
  type Prepared,
  type Range,
  range,
  sectionQueries,
} from "./statements.js";

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

type Statements = Prepared<typeof SQL>;

/** The month's work, day by day: the tasks created (and their time to done), the attempts ended. */
export const activityQueries = sectionQueries(
  SQL,
  (statements): Pick<ReviewQueries, "createdTasks" | "endedAttempts"> => ({
    createdTasks: (period) => createdTasks(statements, days(period)),
    endedAttempts: (period) => endedAttempts(statements, { ...range(period), ...days(period) }),
  }),
);

function createdTasks(statements: Statements, days: { days: string }): CreatedTasks {
  const rows = statements.createdTasks.all(days) as (CreatedRow & { durations: string | null })[];
  const durations = new Map<string, string[]>();
  const byDay = rows.map(({ durations: list, ...row }) => {
    if (list !== null) {
      const lists = durations.get(row.category) ?? [];
      lists.push(list);
      durations.set(row.category, lists);
    }
    return row;
  });
  const toDone = [...durations]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([category, lists]) => percentiles(category, lists));
  return { byDay, toDone };
}

/**
 * Nearest-rank percentiles: the first duration with a share p of the durations at or below it.
 * The lists are `group_concat` text of integers, so one JSON array: parsed natively, not number
 * by number.
 */
function percentiles(category: string, lists: string[]): DurationRow {
  const sorted = Float64Array.from(JSON.parse(`[${lists.join(",")}]`) as number[]).sort();
  const rank = (p: number) => {
    const index = sorted.findIndex((_, i) => (i + 1) / sorted.length >= p);
    return sorted[index] as number;
  };
  return { category, count: sorted.length, medianMs: rank(0.5), p90Ms: rank(0.9) };
}

/** The rows come ordered by category, failed or not, class: as the two lists want them. */
function endedAttempts(statements: Statements, params: Range & { days: string }): EndedAttempts {
  const rows = statements.endedAttempts.all(params) as (Omit<FailedAttemptsRow, "failed"> & {
    failed: 0 | 1;
    attempts: number;
  })[];
  const byCategory: CategoryAttemptsRow[] = [];
  for (const { category, attempts } of rows) {
    const last = byCategory.at(-1);
    if (last?.category === category) last.attempts += attempts;
    else byCategory.push({ category, attempts });
  }
  const failed = rows
    .filter((row) => row.failed === 1)
    .map(({ category, failureClass, attempts, autoRecovered }) => ({
      category,
      failureClass,
      failed: attempts,
      autoRecovered,
    }));
  return { byCategory, failed };
}
