import type { ReviewQueries } from "../../review/port.js";
import { type RerouteRow, reroutePairsOf } from "./rows.js";
import { range, sectionQueries } from "./statements.js";

const SQL = {
  // Each A→B pair with its count and its first tasks, from one read of the month's reroutes. The
  // rule that sent a task to `from`: the routing rule or reroute recorded just before. At least
  // one task per pair is kept, so a pair shows even when no task is asked for.
  reroutes: `
    WITH moves AS (
      SELECT e.id, e.task_id, json_extract(e.data, '$.from') AS f,
        json_extract(e.data, '$.to') AS t,
        row_number() OVER (pair ORDER BY e.at, e.id) AS rn, count(*) OVER pair AS n,
        sum(k.state <> 'cancelled') OVER pair AS kept
      FROM task_events e INDEXED BY task_events_actions JOIN tasks k ON k.id = e.task_id
      WHERE json_extract(e.data, '$.action') = 'reroute' AND e.at >= @start AND e.at < @end
      WINDOW pair AS (PARTITION BY json_extract(e.data, '$.from'), json_extract(e.data, '$.to')))
    SELECT m.f AS "from", m.t AS "to", m.n AS count, m.kept AS kept, m.task_id AS taskId,
      t.objective AS objective, t.state AS state,
      (SELECT coalesce(json_extract(p.data, '$.rule'), 'reroute') FROM task_events p
        WHERE p.task_id = m.task_id AND p.id < m.id
          AND (json_extract(p.data, '$.rule') IS NOT NULL
            OR json_extract(p.data, '$.action') = 'reroute')
        ORDER BY p.id DESC LIMIT 1) AS rule
    FROM moves m JOIN tasks t ON t.id = m.task_id
    WHERE m.rn <= max(@limit, 1)
    ORDER BY m.n DESC, m.f, m.t, m.rn`,

  reroutedTasks: `
    SELECT count(DISTINCT task_id) AS n FROM task_events INDEXED BY task_events_actions
    WHERE json_extract(data, '$.action') = 'reroute' AND at >= @start AND at < @end`,
} as const;

/** The period's reroutes: each pair of categories with its first tasks, and the tasks moved. */
export const rerouteQueries = sectionQueries(
  SQL,
  (statements): Pick<ReviewQueries, "reroutes" | "reroutedTasks"> => ({
    reroutes: (period, tasksPerPair) =>
      reroutePairsOf(
        statements.reroutes.all({ ...range(period), limit: tasksPerPair }) as RerouteRow[],
        tasksPerPair,
      ),
    reroutedTasks: (period) =>
      (statements.reroutedTasks.get(range(period)) as { n: number } | undefined)?.n ?? 0,
  }),
);
