import type { Answer, StorageMode } from "./storage-mode.js";

/**
 * When each schedule last fired, kept across restarts so a run missed while down is filed once;
 * `src/db/schedule-store.ts` keeps it on SQLite, `src/db/pg/schedule-store.ts` on PostgreSQL.
 */
export interface ScheduleRuns<M extends StorageMode = "sync"> {
  lastFiredAt(name: string): Answer<M, number | undefined>;
  record(name: string, firedAt: number): Answer<M, void>;
}
