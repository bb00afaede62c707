import type { Role } from "./roles.js";
import type { Answer, StorageMode } from "./storage-mode.js";

/** Between beats, unless a heartbeat says otherwise. */
export const BEAT_MS = 5_000;
/**
 * A process that missed three beats is stale: crashed, frozen or cut off. `steward status` lists
 * it so, and the tasks it leased go back to the queue (`QueueRepository.recoverStopped`).
 */
export const STALE_AFTER_MS = 3 * BEAT_MS;

/** A Steward process as it registers: where it runs, what it holds and what it works. */
export interface ProcessEntry {
  /** Unique per process run (host, pid and a random part): a restart is a new process. */
  id: string;
  host: string;
  pid: number;
  roles: Role[];
  /** The task categories its workers claim. */
  categories: string[];
  /** The Steward version it runs: hosts left on another show in `steward status`. */
  version: string;
  /**
   * The fingerprint of the config file it runs (`configFingerprint`): hosts left on another
   * file show in `steward status`. Empty when not known (a config built in code).
   */
  config: string;
}

export interface ProcessRecord extends ProcessEntry {
  startedAt: number;
  heartbeatAt: number;
}

/** The processes that have not closed: beating within the window, and those that stopped. */
export interface ProcessList {
  live: ProcessRecord[];
  stale: ProcessRecord[];
}

/**
 * Who shares the database (for `steward status`, and to tell a crashed worker from a slow one):
 * each process registers, beats every few seconds with what it holds now, and says when it
 * closes. On SQLite the one process registers itself.
 */
export interface ProcessRegistry<M extends StorageMode = "sync"> {
  /** Registers `entry`, started and beating now. */
  register(entry: ProcessEntry): Answer<M, void>;
  /** Beats now, with the roles and categories it has now. */
  beat(id: string, now: Pick<ProcessEntry, "roles" | "categories">): Answer<M, void>;
  /** It closed: listed neither live nor stale from now on. */
  gone(id: string): Answer<M, void>;
  /** Processes not gone, oldest first: live if they beat within `staleAfterMs`, else stale. */
  list(staleAfterMs: number): Answer<M, ProcessList>;
}

/** Splits records, oldest first, by whether each beat within `staleAfterMs` of `now`. */
export function byLiveness(
  records: ProcessRecord[],
  now: number,
  staleAfterMs: number,
): ProcessList {
  const live = records.filter((record) => now - record.heartbeatAt <= staleAfterMs);
  const stale = records.filter((record) => now - record.heartbeatAt > staleAfterMs);
  return { live, stale };
}

/**
 * What a status view says a live process works: its categories when it claims fewer than the
 * live processes together (a `steward worker --categories` host beside a `serve` that works
 * them all), else nothing (one set of categories everywhere is the rule, said by nothing).
 */
export function narrowerWork(
  entry: Pick<ProcessEntry, "categories">,
  live: readonly Pick<ProcessEntry, "categories">[],
): string | undefined {
  const together = new Set(live.flatMap((each) => each.categories));
  if (entry.categories.length >= together.size) return undefined;
  return entry.categories.length === 0
    ? "works no category"
    : `works ${entry.categories.join(", ")}`;
}

/** The entry's own fields, nothing more an object passed as one may carry. */
export function entryFields(entry: ProcessEntry): ProcessEntry {
  const { id, host, pid, roles, categories, version, config } = entry;
  return { id, host, pid, roles, categories, version, config };
}
