import type { StateCount } from "./states.js";
import type { Answer, StorageMode } from "./storage-mode.js";
import type { Task } from "./task.js";

/**
 * The read-only questions the status displays ask (the console, `steward status`, /metrics);
 * `src/db/status-queries.ts` answers them on SQLite, `src/db/pg/status-queries.ts` on PostgreSQL.
 */
export interface StatusReads<M extends StorageMode = "sync"> {
  /** Ids of the tasks not finished, newest first. */
  openTaskIds(limit?: number): Answer<M, number[]>;
  /** Escalations not yet decided and anomalies not yet resolved, counted. */
  openCounts(): Answer<M, { escalations: number; anomalies: number }>;
  /** How many tasks are in each (state, category) pair, by state then category. */
  counts(): Answer<M, StateCount[]>;
  /** Tasks waiting for their requester's details, the longest waiting first. */
  waitingForDetails(limit?: number): Answer<M, Task[]>;
  /** Tasks a worker holds right now, longest-running first. */
  inFlight(limit?: number): Answer<M, Task[]>;
  /** Ids of tasks that will still move without a person before `horizon`, ascending. */
  moving(horizon: number): Answer<M, number[]>;
}
