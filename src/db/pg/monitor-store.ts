import { type SQL, sql } from "drizzle-orm";
import type { TaskState } from "../../core/states.js";
import type { StayBatch } from "../../monitor/history.js";
import type {
  DoneTask,
  Finding,
  OpenEscalation,
  RetryingTask,
  StayingTask,
} from "../../monitor/rules.js";
import type { MonitorStore, OpenAnomaly, Problems, Read } from "../../monitor/store.js";
import {
  boundedRead,
  DEFAULT_MAX_ROWS,
  doneTask,
  openEscalation,
  type Row,
  retryingTask,
  stayBatch,
  stayingTask,
} from "../monitor-rows.js";
import type { Transactions } from "./transactions.js";

const DONE_COLUMNS = sql.raw(`id, category, state_since AS "doneAt", next_id AS "nextId",
  delivered_at AS "deliveredAt"`);

/**
 * What the status checker reads and writes, on PostgreSQL. Each read repeats the WHERE terms of
 * the partial index it is meant for (`tasks_stall`, `tasks_retries`…), so the planner can use it;
 * unlike SQLite's, PostgreSQL's planner keeps statistics, so no plan is pinned.
 */
export class PgMonitorStore implements MonitorStore<"async"> {
  constructor(
    private readonly transactions: Transactions,
    /** Most rows one read returns: a run stays bounded even when everything is late. */
    readonly maxRows = DEFAULT_MAX_ROWS,
  ) {}

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.transactions.write(work);
  }

  stalled(
    state: TaskState,
    category: string,
    before: number,
    problems: Problems,
  ): Promise<Read<StayingTask>> {
    return this.read(
      "stalled",
      sql`SELECT id, category, state, state_since AS "stateSince" FROM tasks
        WHERE state NOT IN ('done', 'cancelled')
          AND state = ${state} AND category = ${category} AND state_since < ${before}
        ORDER BY state_since`,
      stayingTask,
      problems,
    );
  }

  retrying(problems: Problems): Promise<Read<RetryingTask>> {
    return this.read(
      "retrying",
      sql`SELECT id, category, state, state_since AS "stateSince", attempts,
          max_attempts AS "maxAttempts"
        FROM tasks
        WHERE state IN ('escalated', 'retry_wait') AND attempts >= max_attempts - 1
        ORDER BY state_since`,
      retryingTask,
      problems,
    );
  }

  undelivered(before: number, problems: Problems): Promise<Read<DoneTask>> {
    return this.read(
      "undelivered",
      sql`SELECT ${DONE_COLUMNS} FROM tasks
        WHERE state = 'done' AND delivered_at IS NULL AND state_since < ${before}
        ORDER BY state_since`,
      doneTask,
      problems,
    );
  }

  missingNext(category: string, before: number, problems: Problems): Promise<Read<DoneTask>> {
    return this.read(
      "missingNext",
      sql`SELECT ${DONE_COLUMNS} FROM tasks
        WHERE state = 'done' AND next_id IS NULL AND category = ${category}
          AND state_since < ${before}
        ORDER BY state_since`,
      doneTask,
      problems,
    );
  }

  unanswered(before: number, problems: Problems): Promise<Read<OpenEscalation>> {
    return this.read(
      "unanswered",
      sql`SELECT id, posted_at AS "postedAt", reminded_at AS "remindedAt" FROM escalations
        WHERE state = 'open' AND posted_at < ${before}
        ORDER BY post_after`,
      openEscalation,
      problems,
    );
  }

  /** As on SQLite: a stay began at `entered_at`, or on older rows at the task's previous event. */
  async stays(
    state: TaskState,
    afterId: number,
    limit: number,
    problems: Problems,
  ): Promise<StayBatch> {
    const rows = await this.rows(sql`
      SELECT e.id, t.category, e.at AS "leftAt",
        coalesce(e.entered_at, (SELECT p.at FROM task_events p
          WHERE p.task_id = e.task_id AND p.id < e.id ORDER BY p.id DESC LIMIT 1)) AS "enteredAt"
      FROM task_events e JOIN tasks t ON t.id = e.task_id
      WHERE e."from" = ${state} AND e.id > ${afterId}
      ORDER BY e.id DESC LIMIT ${limit}`);
    return stayBatch(rows, state, afterId, limit, problems);
  }

  async openAnomalies(): Promise<OpenAnomaly[]> {
    const rows = await this.rows(sql`
      SELECT id, rule, subject, detail, detected_at AS "detectedAt" FROM anomalies
      WHERE resolved_at IS NULL
      ORDER BY detected_at, id`);
    return rows.map((row) => ({ ...row, detectedAt: Number(row.detectedAt) }) as OpenAnomaly);
  }

  async insertAnomaly(finding: Finding, now: number): Promise<number> {
    const [row] = await this.rows(sql`
      INSERT INTO anomalies (rule, task_id, subject, detail, detected_at)
      VALUES (${finding.rule}, ${finding.taskId ?? null}, ${finding.subject}, ${finding.detail},
        ${now})
      RETURNING id`);
    return Number(row!.id);
  }

  async resolveAnomaly(id: number, now: number): Promise<boolean> {
    const result = await this.transactions.db.execute(sql`
      UPDATE anomalies SET resolved_at = ${now} WHERE id = ${id} AND resolved_at IS NULL`);
    return (result.rowCount ?? 0) > 0;
  }

  async markReminded(escalationId: number, now: number): Promise<boolean> {
    const result = await this.transactions.db.execute(sql`
      UPDATE escalations SET reminded_at = ${now}
      WHERE id = ${escalationId} AND state = 'open' AND reminded_at IS NULL`);
    return (result.rowCount ?? 0) > 0;
  }

  /** A bounded read (`query` without its LIMIT), coercing each row as the SQLite store does. */
  private async read<T>(
    name: string,
    query: SQL,
    coerce: (row: Row) => T | string,
    problems: Problems,
  ): Promise<Read<T>> {
    const rows = await this.rows(sql`${query} LIMIT ${this.maxRows + 1}`);
    return boundedRead(name, rows, this.maxRows, coerce, problems);
  }

  private async rows(query: SQL): Promise<Row[]> {
    return (await this.transactions.db.execute(query)).rows as Row[];
  }
}
