import { ACTIVE_STATES, type TaskState } from "../core/states.js";
import { median, type PerCategoryState, type StayStats } from "./rules.js";

/** One completed stay in a known state: a task of `category` left it `duration` ms after entering. */
export interface Stay {
  category: string;
  duration: number;
}

/** Completed stays in one state that ended after event `afterId`, newest first. */
export interface StayBatch {
  stays: Stay[];
  /** The newest event read, counted even when its row was unusable. */
  lastEventId: number;
  /** The batch hit its limit: stays between `afterId` and the oldest returned were not read. */
  full: boolean;
}

export type StayReader = (state: TaskState, afterId: number, limit: number) => Promise<StayBatch>;

export interface StayHistoryOptions {
  /** Most recent stays kept per (category, state). */
  perKey: number;
  /** Most stays read per state in one refresh: `perKey` for up to eight categories. */
  perState: number;
}

export const DEFAULT_STAY_HISTORY: StayHistoryOptions = { perKey: 500, perState: 4_000 };

interface Samples {
  /** Oldest first. */
  durations: number[];
  stats?: StayStats;
}

/**
 * The last `perKey` completed stays per (category, state), kept between runs. Each state is
 * read on its own (a busy state cannot crowd out a rare one); the first refresh reads a
 * bounded slice of history, later ones only the events since, so a steady run pays for the
 * minutes since the last one rather than for the whole sample.
 */
export class StayHistory {
  private readonly options: StayHistoryOptions;
  private readonly samples = new Map<TaskState, Map<string, Samples>>();
  private readonly lastEventIds = new Map<TaskState, number>();

  constructor(options: Partial<StayHistoryOptions> = {}) {
    this.options = { ...DEFAULT_STAY_HISTORY, ...options };
  }

  async refresh(read: StayReader, states: readonly TaskState[] = ACTIVE_STATES): Promise<void> {
    for (const state of states) await this.refreshState(read, state);
  }

  /** Median and sample count per (category, state); recomputed only where stays were added. */
  stats(): PerCategoryState<StayStats> {
    const result: Record<string, Partial<Record<TaskState, StayStats>>> = {};
    for (const [state, byCategory] of this.samples) {
      for (const [category, entry] of byCategory) {
        entry.stats ??= { median: median(entry.durations), samples: entry.durations.length };
        const perState = result[category] ?? {};
        perState[state] = entry.stats;
        result[category] = perState;
      }
    }
    return result;
  }

  /** Stays held in total (for the benchmark's figures). */
  get size(): number {
    let total = 0;
    for (const byCategory of this.samples.values()) {
      for (const entry of byCategory.values()) total += entry.durations.length;
    }
    return total;
  }

  private async refreshState(read: StayReader, state: TaskState): Promise<void> {
    const after = this.lastEventIds.get(state) ?? 0;
    const batch = await read(state, after, this.options.perState);
    // A full batch may leave a gap after what we hold: the batch alone is the recent history.
    if (batch.full) this.samples.delete(state);
    const byCategory = this.samples.get(state) ?? new Map<string, Samples>();
    for (let index = batch.stays.length - 1; index >= 0; index--) {
      const stay = batch.stays[index]!;
      const entry = byCategory.get(stay.category) ?? { durations: [] };
      entry.durations.push(stay.duration);
      entry.stats = undefined;
      byCategory.set(stay.category, entry);
    }
    for (const entry of byCategory.values()) {
      const extra = entry.durations.length - this.options.perKey;
      if (extra > 0) entry.durations.splice(0, extra);
    }
    if (byCategory.size > 0) this.samples.set(state, byCategory);
    this.lastEventIds.set(state, Math.max(after, batch.lastEventId));
  }
}
