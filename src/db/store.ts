import type { ChatRefStore } from "../core/chat-refs.js";
import type { Outbox } from "../core/outbox.js";
import type { QueueRepository, TaskRepository } from "../core/ports.js";
import type { ProcessRegistry } from "../core/processes.js";
import type { ScheduleRuns } from "../core/schedule-runs.js";
import type { StatusReads } from "../core/status-reads.js";
import type { Answer, StorageMode } from "../core/storage-mode.js";
import type { EscalationGroups } from "../escalation/store.js";
import type { MonitorStore } from "../monitor/store.js";
import type { ReviewPosts, ReviewQueries } from "../review/port.js";
import type { LearnedExamples } from "../routing/learned.js";

/**
 * One store: the repositories over one database, SQLite or PostgreSQL. A repository's call made
 * inside `tasks.write(work)` is part of that write, whichever repository it is on.
 */
export interface Store<M extends StorageMode> {
  readonly tasks: TaskRepository<M>;
  readonly queue: QueueRepository<M>;
  readonly outbox: Outbox<M>;
  readonly escalations: EscalationGroups<M>;
  /** Which processes run Steward on this database, and whether they still beat. */
  readonly processes: ProcessRegistry<M>;
  /** The status checker's reads and its anomalies. */
  readonly monitor: MonitorStore<M>;
  /** The monthly review's aggregates. */
  readonly review: ReviewQueries<M>;
  /** Which months' reviews were queued. */
  readonly reviewPosts: ReviewPosts<M>;
  /** What the status displays read. */
  readonly status: StatusReads<M>;
  /** Where a chat adapter's posts are. */
  readonly chatRefs: ChatRefStore<M>;
  /** When each schedule last fired. */
  readonly schedules: ScheduleRuns<M>;
  /** People's routing decisions, for the router to learn from. */
  readonly routingExamples: LearnedExamples<M>;
  /** Resolves once everything written so far is durable. */
  committed(): Promise<void>;
  close(): Answer<M, void>;
}
