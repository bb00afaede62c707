import type { TaskState } from "../core/states.js";
import type { Answer, StorageMode } from "../core/storage-mode.js";
import type { StayBatch } from "./history.js";
import type { DoneTask, Finding, OpenEscalation, RetryingTask, StayingTask } from "./rules.js";

/** Rows of a bounded read; `complete` is false when more rows matched than were returned. */
export interface Read<T> {
  rows: T[];
  complete: boolean;
}

export interface OpenAnomaly {
  id: number;
  rule: string;
  subject: string;
  /** What was found, in words: `T-15 finished 10m ago and its output has not been delivered`. */
  detail: string;
  detectedAt: number;
}

/** Where rows that cannot be read as they should are described instead of thrown. */
export type Problems = string[];

/**
 * What the status checker reads and writes; `src/db/monitor-queries.ts` implements it on SQLite,
 * `src/db/pg/monitor-store.ts` on PostgreSQL. Each read is bounded and reports rows it cannot
 * read in `problems` rather than throwing.
 */
export interface MonitorStore<M extends StorageMode = "sync"> {
  /** Runs `work` in one transaction (a savepoint inside an outer one). */
  transaction<T>(work: () => Answer<M, T>): Answer<M, T>;
  /** Tasks in `state` of `category` that entered it before `before`, oldest first. */
  stalled(
    state: TaskState,
    category: string,
    before: number,
    problems: Problems,
  ): Answer<M, Read<StayingTask>>;
  /** Escalated or retry-waiting tasks on their last attempt or past it, oldest first. */
  retrying(problems: Problems): Answer<M, Read<RetryingTask>>;
  /** Done before `before` and never delivered. */
  undelivered(before: number, problems: Problems): Answer<M, Read<DoneTask>>;
  /** Done before `before` in `category` with no next step recorded. */
  missingNext(category: string, before: number, problems: Problems): Answer<M, Read<DoneTask>>;
  /** Open escalations posted before `before`. */
  unanswered(before: number, problems: Problems): Answer<M, Read<OpenEscalation>>;
  /** Completed stays in `state` that ended after event `afterId`, newest first. */
  stays(state: TaskState, afterId: number, limit: number, problems: Problems): Answer<M, StayBatch>;
  /** Every open anomaly. */
  openAnomalies(): Answer<M, OpenAnomaly[]>;
  insertAnomaly(finding: Finding, now: number): Answer<M, number>;
  resolveAnomaly(id: number, now: number): Answer<M, boolean>;
  /** Records the one reminder; false if the escalation was already reminded or answered. */
  markReminded(escalationId: number, now: number): Answer<M, boolean>;
}
