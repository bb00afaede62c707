import type Database from "better-sqlite3";
import type { CreatedRow, CreatedTasks, DurationRow, ReviewQueries } from "../../review/port.js";
import { DAYS, dayByDay, days, type Prepared, prepareAll } from "./statements.js";

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
} as const;

type Statements = Prepared<typeof SQL>;

/** The period's tasks: how many were created, by day, category and state, and their time to done. */
export function createdTaskQueries(sqlite: Database.Database): Pick<ReviewQueries, "createdTasks"> {
  const statements = prepareAll(sqlite, SQL);
  return {
    createdTasks: (period) => createdTasks(statements, days(period)),
  };
}

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
