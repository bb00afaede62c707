import { sql } from "drizzle-orm";
import type { ReviewPeriod, ReviewQueries } from "../../../review/port.js";
import { type RerouteRow, reroutePairsOf } from "../../review/rows.js";
import type { Transactions } from "../transactions.js";
import { rowsOf } from "./statements.js";

/** The period's reroutes: each pair of categories with its first tasks, and the tasks moved. */
export function rerouteQueries(
  transactions: Transactions,
): Pick<ReviewQueries<"async">, "reroutes" | "reroutedTasks"> {
  return {
    reroutes: async (period, tasksPerPair) =>
      reroutePairsOf(
        await rowsOf<RerouteRow>(transactions, pairs(period, tasksPerPair)),
        tasksPerPair,
      ),
    reroutedTasks: async (period) =>
      (await rowsOf<{ n: number }>(transactions, rerouted(period)))[0]?.n ?? 0,
  };
}

// Each A→B pair with its count and its first tasks (at least one, so a pair shows even when no
// task is asked for). The rule that sent a task to `from`: the routing rule or reroute recorded
// just before.
const pairs = (period: ReviewPeriod, limit: number) => sql`
  WITH moves AS (
    SELECT e.id, e.task_id, e.data ->> 'from' AS f, e.data ->> 'to' AS t,
      row_number() OVER (pair ORDER BY e.at, e.id) AS rn, count(*) OVER pair AS n,
      count(*) FILTER (WHERE k.state <> 'cancelled') OVER pair AS kept
    FROM task_events e JOIN tasks k ON k.id = e.task_id
    WHERE e.data ->> 'action' = 'reroute' AND e.at >= ${period.start} AND e.at < ${period.end}
    WINDOW pair AS (PARTITION BY e.data ->> 'from', e.data ->> 'to'))
  SELECT m.f AS "from", m.t AS "to", m.n::int AS count, m.kept::int AS kept,
    m.task_id AS "taskId", t.objective, t.state,
    (SELECT coalesce(p.data ->> 'rule', 'reroute') FROM task_events p
      WHERE p.task_id = m.task_id AND p.id < m.id
        AND ((p.data ->> 'rule') IS NOT NULL OR p.data ->> 'action' = 'reroute')
      ORDER BY p.id DESC LIMIT 1) AS rule
  FROM moves m JOIN tasks t ON t.id = m.task_id
  WHERE m.rn <= greatest(${limit}::int, 1)
  ORDER BY m.n DESC, m.f COLLATE "C", m.t COLLATE "C", m.rn`;

const rerouted = (period: ReviewPeriod) => sql`
  SELECT count(DISTINCT task_id)::int AS n FROM task_events
  WHERE data ->> 'action' = 'reroute' AND at >= ${period.start} AND at < ${period.end}`;
