import type Database from "better-sqlite3";
import type { TaskState } from "../core/states.js";
import type { StayBatch } from "../monitor/history.js";
import type {
  DoneTask,
  Finding,
  OpenEscalation,
  RetryingTask,
  StayingTask,
} from "../monitor/rules.js";
import type { MonitorStore, OpenAnomaly, Problems, Read } from "../monitor/store.js";
import {
  boundedRead,
  DEFAULT_MAX_ROWS,
  doneTask,
  openEscalation,
  type Row,
  retryingTask,
  stayBatch,
  stayingTask,
} from "./monitor-rows.js";

/**
 * What the status checker reads and writes. Every read is bounded by an index so a run costs
 * what it finds, not the size of the tables; `INDEXED BY` pins each plan (and fails loudly if
 * the index is missing) because the planner, without ANALYZE statistics, might read every
 * task in the state — or every done task ever. The tasks indexes are partial: each query
 * repeats its index's WHERE terms word for word, or SQLite would not use it.
 */
const DONE_COLUMNS = `id, category, state_since AS doneAt, next_id AS nextId,
  delivered_at AS deliveredAt`;

const READS = {
  // Only columns of tasks_stall (id is the rowid): the index alone answers it.
  stalled: `
    SELECT id, category, state, state_since AS stateSince FROM tasks INDEXED BY tasks_stall
    WHERE state NOT IN ('done', 'cancelled')
      AND state = @state AND category = @category AND state_since < @before
    ORDER BY state_since LIMIT @limit`,
  retrying: `
    SELECT id, category, state, state_since AS stateSince, attempts, max_attempts AS maxAttempts
    FROM tasks INDEXED BY tasks_retries
    WHERE "state" IN ('escalated', 'retry_wait') AND "attempts" >= "max_attempts" - 1
    ORDER BY state_since LIMIT @limit`,
  undelivered: `
    SELECT ${DONE_COLUMNS} FROM tasks INDEXED BY tasks_undelivered
    WHERE state = 'done' AND delivered_at IS NULL AND state_since < @before
    ORDER BY state_since LIMIT @limit`,
  missingNext: `
    SELECT ${DONE_COLUMNS} FROM tasks INDEXED BY tasks_missing_next
    WHERE state = 'done' AND next_id IS NULL AND category = @category AND state_since < @before
    ORDER BY state_since LIMIT @limit`,
  unanswered: `
    SELECT id, posted_at AS postedAt, reminded_at AS remindedAt
    FROM escalations INDEXED BY escalations_state
    WHERE state = 'open' AND posted_at < @before
    ORDER BY post_after LIMIT @limit`,
  // A stay in S ends with an event `from = S`, which records when it began; on rows from before
  // that was recorded, it began with the task's previous event (coalesce reads it only then).
  // Newest first within one state; CROSS JOIN keeps task_events the outer loop.
  stays: `
    SELECT e.id AS id, t.category AS category, e.at AS leftAt,
      coalesce(e.entered_at, (SELECT p.at FROM task_events AS p INDEXED BY task_events_task
        WHERE p.task_id = e.task_id AND p.id < e.id ORDER BY p.id DESC LIMIT 1)) AS enteredAt
    FROM task_events AS e INDEXED BY task_events_from CROSS JOIN tasks AS t ON t.id = e.task_id
    WHERE e."from" = @state AND e.id > @after
    ORDER BY e.id DESC LIMIT @limit`,
  openAnomalies: `
    SELECT id, rule, subject, detail, detected_at AS detectedAt
    FROM anomalies INDEXED BY anomalies_open
    WHERE resolved_at IS NULL
    ORDER BY detected_at, id`,
} as const;

const WRITES = {
  insertAnomaly: `
    INSERT INTO anomalies (rule, task_id, subject, detail, detected_at)
    VALUES (@rule, @taskId, @subject, @detail, @now)`,
  resolveAnomaly: `
    UPDATE anomalies SET resolved_at = @now WHERE id = @id AND resolved_at IS NULL`,
  markReminded: `
    UPDATE escalations SET reminded_at = @now
    WHERE id = @id AND state = 'open' AND reminded_at IS NULL`,
} as const;

type ReadName = keyof typeof READS;
type StatementName = ReadName | keyof typeof WRITES;

export class MonitorQueries implements MonitorStore {
  private readonly statements: Record<StatementName, Database.Statement>;

  constructor(
    private readonly sqlite: Database.Database,
    /** Most rows one read returns: a run stays bounded even when everything is late. */
    readonly maxRows = DEFAULT_MAX_ROWS,
  ) {
    this.statements = Object.fromEntries(
      Object.entries({ ...READS, ...WRITES }).map(([name, sql]) => [name, sqlite.prepare(sql)]),
    ) as Record<StatementName, Database.Statement>;
  }

  /** Runs `work` in one transaction (a savepoint inside an outer one). */
  transaction<T>(work: () => T): T {
    return this.sqlite.transaction(work)();
  }

  /** Tasks in `state` of `category` that entered it before `before`, oldest first. */
  stalled(
    state: TaskState,
    category: string,
    before: number,
    problems: Problems,
  ): Read<StayingTask> {
    return this.read("stalled", { state, category, before }, (row) => stayingTask(row), problems);
  }

  /** Escalated or retry-waiting tasks on their last attempt or past it, oldest first. */
  retrying(problems: Problems): Read<RetryingTask> {
    return this.read("retrying", {}, (row) => retryingTask(row), problems);
  }

  /** Done before `before` and never delivered. */
  undelivered(before: number, problems: Problems): Read<DoneTask> {
    return this.read("undelivered", { before }, (row) => doneTask(row), problems);
  }

  /** Done before `before` in `category` with no next step recorded. */
  missingNext(category: string, before: number, problems: Problems): Read<DoneTask> {
    return this.read("missingNext", { category, before }, (row) => doneTask(row), problems);
  }

  /** Open escalations posted before `before`. */
  unanswered(before: number, problems: Problems): Read<OpenEscalation> {
    return this.read("unanswered", { before }, (row) => openEscalation(row), problems);
  }

  /** Completed stays in `state` that ended after event `afterId`, newest first. */
  stays(state: TaskState, afterId: number, limit: number, problems: Problems): StayBatch {
    const rows = this.statements.stays.all({ state, after: afterId, limit }) as Row[];
    return stayBatch(rows, state, afterId, limit, problems);
  }

  /** Every open anomaly; the columns are NOT NULL, read straight from the covering index. */
  openAnomalies(): OpenAnomaly[] {
    return this.statements.openAnomalies.all() as OpenAnomaly[];
  }

  insertAnomaly(finding: Finding, now: number): number {
    const result = this.statements.insertAnomaly.run({
      rule: finding.rule,
      taskId: finding.taskId ?? null,
      subject: finding.subject,
      detail: finding.detail,
      now,
    });
    return Number(result.lastInsertRowid);
  }

  resolveAnomaly(id: number, now: number): boolean {
    return this.statements.resolveAnomaly.run({ id, now }).changes > 0;
  }

  /** Records the one reminder; false if the escalation was already reminded or answered. */
  markReminded(escalationId: number, now: number): boolean {
    return this.statements.markReminded.run({ id: escalationId, now }).changes > 0;
  }

  /** Each read's query plan, for tests and the benchmark: no table scan, only index reads. */
  plans(): Record<ReadName, string[]> {
    const sample = { state: "queued", category: "x", before: 0, after: 0, limit: 1 };
    return Object.fromEntries(
      Object.entries(READS).map(([name, sql]) => {
        const params = Object.fromEntries(
          Object.entries(sample).filter(([key]) => sql.includes(`@${key}`)),
        );
        const plan = this.sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as Row[];
        return [name, plan.map((step) => String(step.detail))];
      }),
    ) as Record<ReadName, string[]>;
  }

  /** Runs a bounded read, coercing each row; a row that cannot be read is reported and skipped. */
  private read<T>(
    name: ReadName,
    params: Record<string, unknown>,
    coerce: (row: Row) => T | string,
    problems: Problems,
  ): Read<T> {
    const rows = this.statements[name].all({ ...params, limit: this.maxRows + 1 }) as Row[];
    return boundedRead(name, rows, this.maxRows, coerce, problems);
  }
}
