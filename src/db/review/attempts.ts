import type Database from "better-sqlite3";
import type {
  CategoryAttemptsRow,
  EndedAttempts,
  FailedAttemptsRow,
  ReviewQueries,
} from "../../review/port.js";
import {
  DAYS,
  dayByDay,
  days,
  type Prepared,
  prepareAll,
  type Range,
  range,
} from "./statements.js";

const SQL = {
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

/** The period's attempts: by category, and the failures by class. */
export function endedAttemptQueries(
  sqlite: Database.Database,
): Pick<ReviewQueries, "endedAttempts"> {
  const statements = prepareAll(sqlite, SQL);
  return {
    endedAttempts: (period) => endedAttempts(statements, { ...range(period), ...days(period) }),
  };
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
