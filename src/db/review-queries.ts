import type Database from "better-sqlite3";
import { errorSignature } from "../policy/classify.js";
import type {
  AnomalyRuleRow,
  CatchAllTask,
  CatchAllVolume,
  CategoryAttemptsRow,
  CreatedRow,
  CreatedTasks,
  DailyCountRow,
  DurationRow,
  EndedAttempts,
  EscalationCauseRow,
  EscalationItem,
  FailedAttemptsRow,
  InterventionItem,
  InterventionRow,
  OtherInterventions,
  RepeatedFailureRow,
  ReroutePair,
  RerouteTask,
  ReviewPeriod,
  ReviewQueries,
} from "../review/port.js";

/**
 * The review's aggregates in SQL, one statement per section (two for escalations), each reading
 * one month through an index: tasks by `created_at`, attempts by `ended_at`, escalations by
 * `created_at`, and operator actions through the partial index `task_events_actions` (a few rows
 * among millions).
 *
 * An operator action is an event whose `data.action` is set. The expression is always written
 * `json_extract(data, '$.action')`, exactly as in the index, so SQLite can use it.
 *
 * The month's tasks and attempts are grouped day by day, then summed. SQLite sorts all of a GROUP
 * BY's rows at once, and that sort is much of these statements' time; a day's rows stay in the
 * CPU caches while they sort, a month's hundreds of thousands do not. SQLite has no lateral join,
 * so a correlated subquery returns each day's groups as one JSON array and `json_each` turns them
 * back into rows.
 */

/** The same normalisation as escalation root causes, callable from SQL. */
const SIGNATURE_FUNCTION = "steward_error_signature";

/** The period's local days. MATERIALIZED: inlined, the JSON would be parsed again for every row. */
const DAYS = `days AS MATERIALIZED (
      SELECT json_extract(value, '$.day') AS day, json_extract(value, '$.start') AS s,
        json_extract(value, '$.end') AS e
      FROM json_each(@days))`;

/**
 * A `FROM` of the period's groups, one day at a time (see above): `grouped` is a GROUP BY over
 * one day `d` (from `d.s` to `d.e`) selecting `columns`; row `g` holds one group, its columns
 * read as `g.value ->> 0`, `->> 1`… in the order given.
 */
function dayByDay(columns: readonly string[], grouped: string): string {
  return `days d, json_each((
      SELECT json_group_array(json_array(${columns.join(", ")})) FROM (${grouped}))) g`;
}

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

  interventions: `
    SELECT json_extract(data, '$.action') AS action, actor, count(*) AS count
    FROM task_events INDEXED BY task_events_actions
    WHERE json_extract(data, '$.action') IS NOT NULL AND at >= @start AND at < @end
    GROUP BY 1, 2
    ORDER BY count DESC, action, actor`,

  // An anomaly resolved itself if no operator acted on its task while it was open, and no
  // attempt of it failed meanwhile (a hung run ended by its timeout was a real stall, not a
  // false alarm). The actions come from the partial index alone (no event is read), and each
  // probes the month's anomalies of its task: a correlated NOT EXISTS would read every event of
  // every anomaly's task instead. The failures are read through attempts_task.
  anomaliesByRule: `
    WITH acted AS (
      SELECT DISTINCT a.id
      FROM task_events e INDEXED BY task_events_actions
        JOIN anomalies a ON a.task_id = e.task_id
      WHERE json_extract(e.data, '$.action') IS NOT NULL AND e.at >= @start
        AND a.detected_at >= @start AND a.detected_at < @end
        AND e.at >= a.detected_at AND e.at <= a.resolved_at
      UNION
      SELECT a.id
      FROM anomalies a JOIN attempts f ON f.task_id = a.task_id
      WHERE a.detected_at >= @start AND a.detected_at < @end AND f.outcome = 'failed'
        AND f.ended_at >= a.detected_at AND f.ended_at <= a.resolved_at),
    month AS (
      SELECT a.rule, t.category, a.task_id, a.detail, a.detected_at, a.resolved_at,
        a.resolved_at IS NOT NULL AND (a.task_id IS NULL OR a.id NOT IN acted) AS self_resolved,
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

  // Grouped by worker and error day by day, then by worker and signature: the signature is
  // computed once per distinct error message, not once per attempt (a call into JS each). The
  // task ids come with repeats (a task failing twice, or on two days); `repeatedFailures` below
  // counts them once.
  repeatedLogicFailures: `
    WITH ${DAYS},
    failed AS MATERIALIZED (
      SELECT g.value ->> 0 AS worker, g.value ->> 1 AS error, g.value ->> 2 AS count,
        g.value ->> 3 AS taskIds
      FROM ${dayByDay(
        ["worker", "error", "count", "taskIds"],
        `SELECT worker, error, count(*) AS count, group_concat(task_id) AS taskIds
          FROM attempts
          WHERE ended_at >= d.s AND ended_at < d.e
            AND outcome = 'failed' AND failure_class = 'logic'
          GROUP BY 1, 2`,
      )}),
    signatures AS MATERIALIZED (
      SELECT error, ${SIGNATURE_FUNCTION}(coalesce(error, '')) AS signature
      FROM (SELECT DISTINCT error FROM failed))
    SELECT f.worker AS worker, s.signature AS signature, sum(f.count) AS count,
      coalesce(min(f.error), '') AS example, group_concat(f.taskIds) AS taskIds
    FROM failed f JOIN signatures s ON s.error IS f.error
    GROUP BY 1, 2
    HAVING sum(f.count) >= @minCount
    ORDER BY count DESC, worker, signature`,

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

  // An action that settled an escalation resolved its task's row in the same transaction (each
  // write reads the clock, so within a second, not to the millisecond); the rest were taken on
  // tasks nobody had been asked about (a console cancel, a reroute of a queued task).
  otherInterventions: `
    SELECT count(*) OVER () AS total, e.task_id AS taskId,
      json_extract(e.data, '$.action') AS action, e.actor AS actor, e.at AS at,
      json_extract(e.data, '$.from') AS "from", json_extract(e.data, '$.to') AS "to",
      t.state AS state
    FROM task_events e INDEXED BY task_events_actions JOIN tasks t ON t.id = e.task_id
    WHERE json_extract(e.data, '$.action') IS NOT NULL AND e.at >= @start AND e.at < @end
      AND NOT EXISTS (SELECT 1 FROM escalation_tasks l
        WHERE l.task_id = e.task_id AND l.resolved_at BETWEEN e.at - 1000 AND e.at + 1000)
    ORDER BY e.at, e.id
    LIMIT @limit`,

  reroutedTasks: `
    SELECT count(DISTINCT task_id) AS n FROM task_events INDEXED BY task_events_actions
    WHERE json_extract(data, '$.action') = 'reroute' AND at >= @start AND at < @end`,

  dailyEscalations: `
    WITH ${DAYS}
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
    createdTasks: (period) => createdTasks(statements, days(period)),
    endedAttempts: (period) => endedAttempts(statements, { ...range(period), ...days(period) }),
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
      repeatedFailures(statements, { ...days(period), minCount }),
    dailyEscalations: (period) => statements.dailyEscalations.all(days(period)) as DailyCountRow[],
    escalationItems: (period, perCause) => escalationItems(statements, range(period), perCause),
    otherInterventions: (period, limit) => otherInterventions(statements, range(period), limit),
    reroutedTasks: (period) =>
      (statements.reroutedTasks.get(range(period)) as { n: number } | undefined)?.n ?? 0,
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

/** The rows come pair by pair, most frequent first, each pair's tasks oldest first. */
function reroutes(statements: Statements, range: Range, tasksPerPair: number): ReroutePair[] {
  const rows = statements.reroutes.all({ ...range, limit: tasksPerPair }) as (RerouteTask &
    Omit<ReroutePair, "tasks">)[];
  const pairs: ReroutePair[] = [];
  for (const { from, to, count, kept, taskId, objective, rule, state } of rows) {
    let pair = pairs.at(-1);
    if (pair === undefined || pair.from !== from || pair.to !== to) {
      pair = { from, to, count, kept, tasks: [] };
      pairs.push(pair);
    }
    if (pair.tasks.length < tasksPerPair) pair.tasks.push({ taskId, objective, rule, state });
  }
  return pairs;
}

function escalationItems(statements: Statements, range: Range, perCause: number): EscalationItem[] {
  const rows = statements.escalationItems.all({ ...range, perCause }) as (Omit<
    EscalationItem,
    "taskIds" | "taskStates"
  > & { tasks: string })[];
  return rows.map(({ tasks, ...row }) => {
    const members = (JSON.parse(tasks) as [number, string][]).sort((a, b) => a[0] - b[0]);
    return {
      ...row,
      taskIds: members.map(([id]) => id),
      taskStates: members.map(([, state]) => state),
    };
  });
}

function otherInterventions(
  statements: Statements,
  range: Range,
  limit: number,
): OtherInterventions {
  const rows = statements.otherInterventions.all({ ...range, limit }) as (InterventionItem & {
    total: number;
  })[];
  return { count: rows[0]?.total ?? 0, items: rows.map(({ total: _total, ...item }) => item) };
}

/** The example ids are the lowest, as `withIds` takes them. */
function repeatedFailures(
  statements: Statements,
  params: { days: string; minCount: number },
): RepeatedFailureRow[] {
  const rows = statements.repeatedLogicFailures.all(params) as (Omit<
    RepeatedFailureRow,
    "tasks" | "taskIds"
  > & { taskIds: string })[];
  return rows.map(({ worker, signature, count, example, taskIds: list }) => {
    const taskIds = [...new Set(idList(list))].sort((a, b) => a - b);
    return {
      worker,
      signature,
      count,
      tasks: taskIds.length,
      example,
      taskIds: taskIds.slice(0, EXAMPLES),
    };
  });
}

/** A row as SQL returns it: the ids as `group_concat` text. */
type WithIdList<T extends { taskIds: number[] }> = Omit<T, "taskIds"> & { taskIds: string | null };

function withIds<T extends { taskIds: number[] }>(row: WithIdList<T>): T {
  // group_concat's order is not guaranteed: the lowest ids are the examples, always the same.
  const taskIds = idList(row.taskIds).sort((a, b) => a - b);
  return { ...row, taskIds: taskIds.slice(0, EXAMPLES) } as T;
}

/** Ids as `group_concat` writes them. */
function idList(text: string | null): number[] {
  return text === null || text === "" ? [] : text.split(",").map(Number);
}
