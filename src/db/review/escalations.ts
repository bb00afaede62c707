import type { DailyCountRow, ReviewQueries } from "../../review/port.js";
import {
  type EscalationCause,
  type EscalationItemRow,
  escalationCausesOf,
  escalationItemsOf,
  type ResolutionCount,
} from "./rows.js";
import { DAYS, days, type Prepared, type Range, range, sectionQueries } from "./statements.js";

const SQL = {
  // The root cause encodes class, category and worker, so they are constant within a group;
  // with exactly one max(), SQLite takes the bare columns from the latest row.
  escalationCauses: `
    WITH month AS MATERIALIZED (
      SELECT * FROM escalations INDEXED BY escalations_created
      WHERE created_at >= @start AND created_at < @end),
    ranked AS (
      SELECT root_cause, resolved_at - created_at AS ms,
        cume_dist() OVER (PARTITION BY root_cause ORDER BY resolved_at - created_at) AS share
      FROM month WHERE resolved_at IS NOT NULL),
    medians AS (
      SELECT root_cause, min(CASE WHEN share >= 0.5 THEN ms END) AS ms
      FROM ranked GROUP BY root_cause),
    linked AS (
      SELECT m.root_cause, count(DISTINCT l.task_id) AS tasks
      FROM month m CROSS JOIN escalation_tasks l ON l.escalation_id = m.id
      GROUP BY m.root_cause)
    SELECT m.root_cause AS rootCause, m.failure_class AS failureClass, m.category AS category,
      m.worker AS worker, m.summary AS summary, max(m.created_at) AS latest,
      count(*) AS escalations, coalesce(l.tasks, 0) AS tasks,
      count(*) - count(m.resolved_at) AS open, md.ms AS medianResolutionMs
    FROM month m
      LEFT JOIN medians md ON md.root_cause = m.root_cause
      LEFT JOIN linked l ON l.root_cause = m.root_cause
    GROUP BY m.root_cause
    ORDER BY escalations DESC, rootCause`,

  escalationResolutions: `
    SELECT root_cause AS rootCause, resolution, count(*) AS count
    FROM escalations
    WHERE created_at >= @start AND created_at < @end AND resolved_at IS NOT NULL
    GROUP BY root_cause, resolution`,

  // The month's escalations, the first few of each root cause, with their tasks as they are now.
  escalationItems: `
    WITH month AS (
      SELECT id, root_cause, summary, created_at, resolved_at, resolution, resolved_by,
        row_number() OVER (PARTITION BY root_cause ORDER BY created_at, id) AS rn
      FROM escalations INDEXED BY escalations_created
      WHERE created_at >= @start AND created_at < @end)
    SELECT m.id AS escalationId, m.root_cause AS rootCause, m.summary AS summary,
      m.created_at AS createdAt, m.resolved_at AS resolvedAt, m.resolution AS resolution,
      m.resolved_by AS resolvedBy,
      (SELECT json_group_array(json_array(l.task_id, t.state)) FROM escalation_tasks l
        JOIN tasks t ON t.id = l.task_id WHERE l.escalation_id = m.id) AS tasks
    FROM month m
    WHERE m.rn <= @perCause
    ORDER BY m.root_cause, m.created_at, m.id`,

  dailyEscalations: `
    WITH ${DAYS}
    SELECT d.day AS day, count(*) AS count
    FROM days d JOIN escalations x ON x.created_at >= d.s AND x.created_at < d.e
    GROUP BY d.day
    ORDER BY d.day`,
} as const;

type Statements = Prepared<typeof SQL>;

/** The period's escalations: by root cause, the first few of each, and how many a day. */
export const escalationQueries = sectionQueries(
  SQL,
  (
    statements,
  ): Pick<ReviewQueries, "escalationsByRootCause" | "escalationItems" | "dailyEscalations"> => ({
    escalationsByRootCause: (period) => escalationCauses(statements, range(period)),
    dailyEscalations: (period) => statements.dailyEscalations.all(days(period)) as DailyCountRow[],
    escalationItems: (period, perCause) =>
      escalationItemsOf(
        statements.escalationItems.all({ ...range(period), perCause }) as EscalationItemRow[],
      ),
  }),
);

/** `latest` only picks the row the bare columns come from. */
function escalationCauses(statements: Statements, range: Range) {
  const causes = statements.escalationCauses.all(range) as (EscalationCause & { latest: number })[];
  return escalationCausesOf(
    causes.map(({ latest: _latest, ...cause }) => cause),
    statements.escalationResolutions.all(range) as ResolutionCount[],
  );
}
