import { sql } from "drizzle-orm";
import type { DailyCountRow, ReviewPeriod, ReviewQueries } from "../../../review/port.js";
import {
  type EscalationCause,
  type EscalationItemRow,
  escalationCausesOf,
  escalationItemsOf,
  type ResolutionCount,
} from "../../review/rows.js";
import type { Transactions } from "../transactions.js";
import { daysOf, rowsOf } from "./statements.js";

/** The period's escalations: by root cause, the first few of each, and how many a day. */
export function escalationQueries(
  transactions: Transactions,
): Pick<ReviewQueries<"async">, "escalationsByRootCause" | "escalationItems" | "dailyEscalations"> {
  return {
    escalationsByRootCause: async (period) =>
      escalationCausesOf(
        await rowsOf<EscalationCause>(transactions, causes(period)),
        await rowsOf<ResolutionCount>(transactions, resolutions(period)),
      ),
    escalationItems: async (period, perCause) =>
      escalationItemsOf(await rowsOf<EscalationItemRow>(transactions, items(period, perCause))),
    dailyEscalations: (period) => rowsOf<DailyCountRow>(transactions, daily(period)),
  };
}

// The root cause encodes class, category and worker, so they are constant within a group; the
// summary is the latest escalation's. The median is the first duration with half at or below it,
// as SQLite's cume_dist() >= 0.5 picks it.
const causes = (period: ReviewPeriod) => sql`
  WITH month AS (
    SELECT * FROM escalations WHERE created_at >= ${period.start} AND created_at < ${period.end}),
  latest AS (
    SELECT DISTINCT ON (root_cause) root_cause, failure_class, category, worker, summary
    FROM month ORDER BY root_cause, created_at DESC, id DESC),
  medians AS (
    SELECT root_cause,
      percentile_disc(0.5) WITHIN GROUP (ORDER BY resolved_at - created_at) AS ms
    FROM month WHERE resolved_at IS NOT NULL GROUP BY root_cause),
  linked AS (
    SELECT m.root_cause, count(DISTINCT l.task_id) AS tasks
    FROM month m JOIN escalation_tasks l ON l.escalation_id = m.id
    GROUP BY m.root_cause),
  counted AS (
    SELECT root_cause, count(*) AS escalations, count(*) - count(resolved_at) AS open
    FROM month GROUP BY root_cause)
  SELECT c.root_cause AS "rootCause", x.failure_class AS "failureClass", x.category, x.worker,
    x.summary, c.escalations::int AS escalations, coalesce(l.tasks, 0)::int AS tasks,
    c.open::int AS open, md.ms::float8 AS "medianResolutionMs"
  FROM counted c JOIN latest x ON x.root_cause = c.root_cause
    LEFT JOIN medians md ON md.root_cause = c.root_cause
    LEFT JOIN linked l ON l.root_cause = c.root_cause
  ORDER BY c.escalations DESC, c.root_cause COLLATE "C"`;

const resolutions = (period: ReviewPeriod) => sql`
  SELECT root_cause AS "rootCause", resolution, count(*)::int AS count
  FROM escalations
  WHERE created_at >= ${period.start} AND created_at < ${period.end} AND resolved_at IS NOT NULL
  GROUP BY root_cause, resolution`;

// The month's escalations, the first few of each root cause, with their tasks as they are now
// (as JSON text, the form SQLite's json_group_array gives).
const items = (period: ReviewPeriod, perCause: number) => sql`
  WITH month AS (
    SELECT id, root_cause, summary, created_at, resolved_at, resolution, resolved_by,
      row_number() OVER (PARTITION BY root_cause ORDER BY created_at, id) AS rn
    FROM escalations WHERE created_at >= ${period.start} AND created_at < ${period.end})
  SELECT m.id AS "escalationId", m.root_cause AS "rootCause", m.summary,
    m.created_at::float8 AS "createdAt", m.resolved_at::float8 AS "resolvedAt", m.resolution,
    m.resolved_by AS "resolvedBy",
    (SELECT coalesce(json_agg(json_build_array(l.task_id, t.state)), '[]')::text
      FROM escalation_tasks l JOIN tasks t ON t.id = l.task_id
      WHERE l.escalation_id = m.id) AS tasks
  FROM month m
  WHERE m.rn <= ${perCause}
  ORDER BY m.root_cause COLLATE "C", m.created_at, m.id`;

const daily = (period: ReviewPeriod) => sql`
  WITH ${daysOf(period)}
  SELECT d.day, count(*)::int AS count
  FROM days d JOIN escalations x ON x.created_at >= d.s AND x.created_at < d.e
  GROUP BY d.day
  ORDER BY d.day COLLATE "C"`;
