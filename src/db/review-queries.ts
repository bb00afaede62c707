import type Database from "better-sqlite3";
import { errorSignature } from "../policy/classify.js";
import type {
  AnomalyRuleRow,
  CatchAllTask,
  CatchAllVolume,
  CategoryAttemptsRow,
  CreatedRow,
  DailyCountRow,
  DurationRow,
  EscalationCauseRow,
  FailedAttemptsRow,
  InterventionRow,
  RepeatedFailureRow,
  ReroutePair,
  RerouteTask,
  ReviewPeriod,
  ReviewQueries,
} from "../review/port.js";

/**
 * The review's aggregates in SQL, a statement or two per section, each reading one month through
 * an index: tasks by `created_at`, attempts by `ended_at`, escalations by `created_at`, and
 * operator actions through the partial index `task_events_actions` (a few rows among millions).
 *
 * An operator action is an event whose `data.action` is set. The expression is always written
 * `json_extract(data, '$.action')`, exactly as in the index, so SQLite can use it.
 */

/** The same normalisation as escalation root causes, callable from SQL. */
const SIGNATURE_FUNCTION = "steward_error_signature";

const SQL = {
  // One pass over the month's tasks for both volume and daily figures: one sort, not two.
  // Local days come in as JSON; SQLite seeks the created_at index once per day. MATERIALIZED:
  // inlined, the day's JSON would be parsed again for every task.
  createdByDay: `
    WITH days AS MATERIALIZED (
      SELECT json_extract(value, '$.day') AS day, json_extract(value, '$.start') AS s,
        json_extract(value, '$.end') AS e
      FROM json_each(@days))
    SELECT d.day AS day, t.category AS category, t.state AS state, count(*) AS count
    FROM days d JOIN tasks t ON t.created_at >= d.s AND t.created_at < d.e
    GROUP BY 1, 2, 3`,

  // A done task never moves again, so `state_since` is when it reached done. One covering read
  // of the month's done tasks, the durations as one list per category: sorting them in JS is
  // several times cheaper than SQLite's window functions. The percentiles are taken in
  // `timeToDone` below. INDEXED BY: without statistics SQLite would rather read every done task
  // ever by state.
  timeToDone: `
    SELECT category, group_concat(state_since - created_at) AS durations
    FROM tasks INDEXED BY tasks_created
    WHERE created_at >= @start AND created_at < @end AND state = 'done'
    GROUP BY category
    ORDER BY category`,

  // Counted per task first: one task lookup per task rather than per attempt, in id order.
  attemptsByCategory: `
    WITH per_task AS (
      SELECT task_id, count(*) AS n
      FROM attempts
      WHERE ended_at >= @start AND ended_at < @end
      GROUP BY task_id)
    SELECT t.category AS category, sum(a.n) AS attempts
    FROM per_task a JOIN tasks t ON t.id = a.task_id
    GROUP BY 1`,

  // Done is terminal: an operator action after the failure is necessarily before done.
  // INDEXED BY: the planner would otherwise walk every event to avoid sorting by task.
  failedAttempts: `
    WITH last_action AS (
      SELECT task_id, max(at) AS at
      FROM task_events INDEXED BY task_events_actions
      WHERE json_extract(data, '$.action') IS NOT NULL AND at >= @start
      GROUP BY task_id)
    SELECT t.category AS category, a.failure_class AS failureClass, count(*) AS failed,
      sum(t.state = 'done' AND (la.at IS NULL OR la.at < a.ended_at)) AS autoRecovered
    FROM attempts a
      JOIN tasks t ON t.id = a.task_id
      LEFT JOIN last_action la ON la.task_id = a.task_id
    WHERE a.ended_at >= @start AND a.ended_at < @end AND a.outcome = 'failed'
    GROUP BY 1, 2`,

  // The root cause encodes class, category and worker, so they are constant within a group;
  // with exactly one max(), SQLite takes the bare columns from the latest row.
  escalationCauses: `
    WITH month AS (
      SELECT * FROM escalations WHERE created_at >= @start AND created_at < @end),
    ranked AS (
      SELECT root_cause, resolved_at - created_at AS ms,
        cume_dist() OVER (PARTITION BY root_cause ORDER BY resolved_at - created_at) AS share
      FROM month WHERE resolved_at IS NOT NULL),
    medians AS (
      SELECT root_cause, min(CASE WHEN share >= 0.5 THEN ms END) AS ms
      FROM ranked GROUP BY root_cause),
    linked AS (
      SELECT m.root_cause, count(DISTINCT l.task_id) AS tasks
      FROM month m JOIN escalation_tasks l ON l.escalation_id = m.id
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

  interventions: `
    SELECT json_extract(data, '$.action') AS action, actor, count(*) AS count
    FROM task_events INDEXED BY task_events_actions
    WHERE json_extract(data, '$.action') IS NOT NULL AND at >= @start AND at < @end
    GROUP BY 1, 2
    ORDER BY count DESC, action, actor`,

  anomaliesByRule: `
    WITH month AS (
      SELECT a.rule, t.category, a.task_id, a.detail, a.detected_at, a.resolved_at,
        a.resolved_at IS NOT NULL AND (a.task_id IS NULL OR NOT EXISTS (
          SELECT 1 FROM task_events e
          WHERE json_extract(e.data, '$.action') IS NOT NULL
            AND e.at >= a.detected_at AND e.at <= a.resolved_at AND e.task_id = a.task_id
        )) AS self_resolved,
        row_number() OVER (PARTITION BY a.rule, t.category ORDER BY a.detected_at, a.id) AS rn
      FROM anomalies a LEFT JOIN tasks t ON t.id = a.task_id
      WHERE a.detected_at >= @start AND a.detected_at < @end)
    SELECT rule, category, count(*) AS fired, count(resolved_at) AS resolved,
      sum(self_resolved) AS selfResolved, max(resolved_at - detected_at) AS maxOpenMs,
      group_concat(CASE WHEN rn <= @examples THEN task_id END) AS taskIds,
      max(CASE WHEN rn = 1 THEN detail END) AS detail
    FROM month
    GROUP BY rule, category
    ORDER BY fired DESC, rule, category`,

  // Rerouted out of the catch-all since (reroutes to the catch-all are refused), or still there.
  catchAll: `
    WITH moved AS (
      SELECT DISTINCT task_id FROM task_events INDEXED BY task_events_actions
      WHERE json_extract(data, '$.action') = 'reroute' AND at >= @start
        AND json_extract(data, '$.from') = @category),
    landed AS (
      SELECT id, objective, state, category FROM tasks
      WHERE created_at >= @start AND created_at < @end AND category = @category
      UNION
      SELECT t.id, t.objective, t.state, t.category FROM moved m JOIN tasks t ON t.id = m.task_id
      WHERE t.created_at >= @start AND t.created_at < @end)
    SELECT count(*) OVER () AS total, id AS taskId, objective, state, category
    FROM landed
    ORDER BY id
    LIMIT @limit`,

  reroutePairs: `
    SELECT json_extract(data, '$.from') AS "from", json_extract(data, '$.to') AS "to",
      count(*) AS count
    FROM task_events INDEXED BY task_events_actions
    WHERE json_extract(data, '$.action') = 'reroute' AND at >= @start AND at < @end
    GROUP BY 1, 2
    ORDER BY count DESC, 1, 2`,

  // The rule that sent a task to `from`: the routing rule or reroute recorded just before.
  rerouteTasks: `
    WITH moves AS (
      SELECT id, task_id, json_extract(data, '$.from') AS f, json_extract(data, '$.to') AS t,
        row_number() OVER (
          PARTITION BY json_extract(data, '$.from'), json_extract(data, '$.to') ORDER BY at, id
        ) AS rn
      FROM task_events INDEXED BY task_events_actions
      WHERE json_extract(data, '$.action') = 'reroute' AND at >= @start AND at < @end)
    SELECT m.f AS "from", m.t AS "to", m.task_id AS taskId, t.objective AS objective,
      (SELECT coalesce(json_extract(p.data, '$.rule'), 'reroute') FROM task_events p
        WHERE p.task_id = m.task_id AND p.id < m.id
          AND (json_extract(p.data, '$.rule') IS NOT NULL
            OR json_extract(p.data, '$.action') = 'reroute')
        ORDER BY p.id DESC LIMIT 1) AS rule
    FROM moves m JOIN tasks t ON t.id = m.task_id
    WHERE m.rn <= @limit
    ORDER BY m.f, m.t, m.rn`,

  // Per task first, so a task failing the same way twice is one example, not two. The signature
  // is computed once per distinct error message, not once per attempt (a call into JS each).
  repeatedLogicFailures: `
    WITH failed AS (
      SELECT worker, error, task_id, count(*) AS n
      FROM attempts
      WHERE ended_at >= @start AND ended_at < @end
        AND outcome = 'failed' AND failure_class = 'logic'
      GROUP BY 1, 2, 3),
    signatures AS MATERIALIZED (
      SELECT error, ${SIGNATURE_FUNCTION}(coalesce(error, '')) AS signature
      FROM (SELECT DISTINCT error FROM failed)),
    per_task AS (
      SELECT f.worker AS worker, s.signature AS signature, f.task_id AS task_id, sum(f.n) AS n,
        min(f.error) AS error
      FROM failed f JOIN signatures s ON s.error IS f.error
      GROUP BY 1, 2, 3)
    SELECT worker, signature, sum(n) AS count, count(*) AS tasks, min(error) AS example,
      group_concat(task_id) AS taskIds
    FROM per_task
    GROUP BY worker, signature
    HAVING sum(n) >= @minCount
    ORDER BY count DESC, worker, signature`,

  dailyEscalations: `
    WITH days AS MATERIALIZED (
      SELECT json_extract(value, '$.day') AS day, json_extract(value, '$.start') AS s,
        json_extract(value, '$.end') AS e
      FROM json_each(@days))
    SELECT d.day AS day, count(*) AS count
    FROM days d JOIN escalations x ON x.created_at >= d.s AND x.created_at < d.e
    GROUP BY d.day
    ORDER BY d.day`,
} as const;

/** Example task ids kept per group (anomaly rule, repeated failure). */
const EXAMPLES = 5;
/**
 * Page cache for a review, in KiB: SQLite's default 2 MB makes the month's sorts spill to temp
 * files and its joins re-read pages. Restored afterwards; the connection is shared.
 */
const REVIEW_CACHE_KIB = 64 * 1024;

type Statements = { [name in keyof typeof SQL]: Database.Statement };

/** The review's queries over one SQLite connection; statements are prepared once. */
export function createReviewQueries(sqlite: Database.Database): ReviewQueries {
  sqlite.function(SIGNATURE_FUNCTION, { deterministic: true }, (error: unknown) =>
    errorSignature(String(error ?? "")),
  );
  const statements = Object.fromEntries(
    Object.entries(SQL).map(([name, text]) => [name, sqlite.prepare(text)]),
  ) as Statements;
  const range = (period: ReviewPeriod) => ({ start: period.start, end: period.end });
  const days = (period: ReviewPeriod) => ({ days: JSON.stringify(period.days) });

  return {
    snapshot: (work) => snapshot(sqlite, work),
    createdByDay: (period) => statements.createdByDay.all(days(period)) as CreatedRow[],
    timeToDone: (period) => timeToDone(statements, range(period)),
    attemptsByCategory: (period) =>
      statements.attemptsByCategory.all(range(period)) as CategoryAttemptsRow[],
    failedAttempts: (period) => statements.failedAttempts.all(range(period)) as FailedAttemptsRow[],
    escalationsByRootCause: (period) => escalationCauses(statements, range(period)),
    interventions: (period) => statements.interventions.all(range(period)) as InterventionRow[],
    anomaliesByRule: (period) =>
      (
        statements.anomaliesByRule.all({
          ...range(period),
          examples: EXAMPLES,
        }) as WithIdList<AnomalyRuleRow>[]
      ).map(withIds),
    catchAll: (period, category, limit) => catchAll(statements, range(period), category, limit),
    reroutes: (period, tasksPerPair) => reroutes(statements, range(period), tasksPerPair),
    repeatedLogicFailures: (period, minCount) =>
      (
        statements.repeatedLogicFailures.all({
          ...range(period),
          minCount,
        }) as WithIdList<RepeatedFailureRow>[]
      ).map(withIds),
    dailyEscalations: (period) => statements.dailyEscalations.all(days(period)) as DailyCountRow[],
  };
}

/** One read transaction with a larger page cache; nested in a caller's transaction if any. */
function snapshot<T>(sqlite: Database.Database, work: () => T): T {
  const cache = sqlite.pragma("cache_size", { simple: true }) as number;
  // Negative sizes are KiB, positive ones pages: keep a cache that is already larger.
  const larger = cache < 0 && -cache > REVIEW_CACHE_KIB ? cache : -REVIEW_CACHE_KIB;
  sqlite.pragma(`cache_size = ${larger}`);
  try {
    return sqlite.transaction(work)();
  } finally {
    sqlite.pragma(`cache_size = ${cache}`);
  }
}

type Range = { start: number; end: number };

function escalationCauses(statements: Statements, range: Range): EscalationCauseRow[] {
  const causes = statements.escalationCauses.all(range) as (Omit<
    EscalationCauseRow,
    "resolutions"
  > & { latest: number })[];
  const resolutions = statements.escalationResolutions.all(range) as {
    rootCause: string;
    resolution: string | null;
    count: number;
  }[];
  return causes.map(({ latest: _latest, ...cause }) => ({
    ...cause,
    resolutions: Object.fromEntries(
      resolutions
        .filter((row) => row.rootCause === cause.rootCause)
        .map((row) => [row.resolution ?? "resolved", row.count]),
    ),
  }));
}

/** Nearest-rank percentiles: the first duration with a share p of the durations at or below it. */
function timeToDone(statements: Statements, range: Range): DurationRow[] {
  const rows = statements.timeToDone.all(range) as { category: string; durations: string }[];
  return rows.map(({ category, durations }) => {
    const sorted = Float64Array.from(durations.split(","), Number).sort();
    const rank = (p: number) => {
      const index = sorted.findIndex((_, i) => (i + 1) / sorted.length >= p);
      return sorted[index] as number;
    };
    return { category, count: sorted.length, medianMs: rank(0.5), p90Ms: rank(0.9) };
  });
}

function catchAll(
  statements: Statements,
  range: Range,
  category: string,
  limit: number,
): CatchAllVolume {
  const rows = statements.catchAll.all({ ...range, category, limit }) as (CatchAllTask & {
    total: number;
  })[];
  return {
    count: rows[0]?.total ?? 0,
    tasks: rows.map(({ total: _total, ...task }) => task),
  };
}

function reroutes(statements: Statements, range: Range, tasksPerPair: number): ReroutePair[] {
  const pairs = statements.reroutePairs.all(range) as Omit<ReroutePair, "tasks">[];
  const tasks = statements.rerouteTasks.all({ ...range, limit: tasksPerPair }) as (RerouteTask & {
    from: string;
    to: string;
  })[];
  return pairs.map((pair) => ({
    ...pair,
    tasks: tasks
      .filter((task) => task.from === pair.from && task.to === pair.to)
      .map(({ taskId, objective, rule }) => ({ taskId, objective, rule })),
  }));
}

/** A row as SQL returns it: the ids as `group_concat` text. */
type WithIdList<T extends { taskIds: number[] }> = Omit<T, "taskIds"> & { taskIds: string | null };

function withIds<T extends { taskIds: number[] }>(row: WithIdList<T>): T {
  const text = row.taskIds;
  // group_concat's order is not guaranteed: the lowest ids are the examples, always the same.
  const taskIds = text === null || text === "" ? [] : text.split(",").map(Number);
  return { ...row, taskIds: taskIds.sort((a, b) => a - b).slice(0, EXAMPLES) } as T;
}
