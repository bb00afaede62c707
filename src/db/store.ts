import type { Outbox } from "../core/outbox.js";
import type { QueueRepository, TaskRepository } from "../core/ports.js";
import type { Answer, StorageMode } from "../core/storage-mode.js";
import type { EscalationGroups } from "../escalation/store.js";
import type { MonitorStore } from "../monitor/store.js";
import type { ReviewQueries } from "../review/port.js";

/**
 * One store: the repositories over one database, SQLite or PostgreSQL. A repository's call made
 * inside `tasks.write(work)` is part of that write, whichever repository it is on.
 */
export interface Store<M extends StorageMode> {
  readonly tasks: TaskRepository<M>;
  readonly queue: QueueRepository<M>;
  readonly outbox: Outbox<M>;
  readonly escalations: EscalationGroups<M>;
  /** The status checker's reads and its anomalies. */
  readonly monitor: MonitorStore<M>;
  /** The monthly review's aggregates. */
  readonly review: ReviewQueries<M>;
  /** Resolves once everything written so far is durable. */
  committed(): Promise<void>;
  close(): Answer<M, void>;
}
