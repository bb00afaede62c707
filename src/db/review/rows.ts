import type {
  CategoryAttemptsRow,
  CreatedRow,
  CreatedTasks,
  DurationRow,
  EndedAttempts,
  EscalationCauseRow,
  EscalationItem,
  FailedAttemptsRow,
  RepeatedFailureRow,
  ReroutePair,
  RerouteTask,
} from "../../review/port.js";
import { EXAMPLES, idList } from "./id-lists.js";

/*
 * The review's rows as both stores' statements return them, made into the port's answers: the
 * SQL differs by dialect, what is done with its rows does not.
 */

/** Tasks by day, category and state, with the durations to done as comma-separated text. */
export type CreatedTasksRow = CreatedRow & { durations: string | null };

export function createdTasksOf(rows: CreatedTasksRow[]): CreatedTasks {
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
 * The lists are text of comma-separated integers, so one JSON array: parsed natively, not
 * number by number.
 */
function percentiles(category: string, lists: string[]): DurationRow {
  const sorted = Float64Array.from(JSON.parse(`[${lists.join(",")}]`) as number[]).sort();
  const rank = (p: number) => {
    const index = sorted.findIndex((_, i) => (i + 1) / sorted.length >= p);
    return sorted[index] as number;
  };
  return { category, count: sorted.length, medianMs: rank(0.5), p90Ms: rank(0.9) };
}

/** Ended attempts by category, failed (1) or not (0), and class. */
export type EndedAttemptsRow = Omit<FailedAttemptsRow, "failed"> & {
  failed: 0 | 1;
  attempts: number;
};

/** The rows come ordered by category, failed or not, class: as the two lists want them. */
export function endedAttemptsOf(rows: EndedAttemptsRow[]): EndedAttempts {
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

export type EscalationCause = Omit<EscalationCauseRow, "resolutions">;
export interface ResolutionCount {
  rootCause: string;
  resolution: string | null;
  count: number;
}

export function escalationCausesOf(
  causes: EscalationCause[],
  resolutions: ResolutionCount[],
): EscalationCauseRow[] {
  return causes.map((cause) => ({
    ...cause,
    resolutions: Object.fromEntries(
      resolutions
        .filter((row) => row.rootCause === cause.rootCause)
        .map((row) => [row.resolution ?? "resolved", row.count]),
    ),
  }));
}

/** An escalation with its tasks as JSON text: `[[taskId, state], …]`. */
export type EscalationItemRow = Omit<EscalationItem, "taskIds" | "taskStates"> & { tasks: string };

export function escalationItemsOf(rows: EscalationItemRow[]): EscalationItem[] {
  return rows.map(({ tasks, ...row }) => {
    const members = (JSON.parse(tasks) as [number, string][]).sort((a, b) => a[0] - b[0]);
    return {
      ...row,
      taskIds: members.map(([id]) => id),
      taskStates: members.map(([, state]) => state),
    };
  });
}

/** Rows of a limited list, each carrying how many matched in all. */
export function countedList<T>(rows: (T & { total: number })[]): { count: number; items: T[] } {
  return {
    count: rows[0]?.total ?? 0,
    items: rows.map(({ total: _total, ...item }) => item as T),
  };
}

export type RerouteRow = RerouteTask & Omit<ReroutePair, "tasks">;

/** The rows come pair by pair, most frequent first, each pair's tasks oldest first. */
export function reroutePairsOf(rows: RerouteRow[], tasksPerPair: number): ReroutePair[] {
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

/** A worker's failures of one signature, their task ids as text, with repeats. */
export type RepeatedFailureText = Omit<RepeatedFailureRow, "tasks" | "taskIds"> & {
  taskIds: string;
};

/** Each task counted once; the example ids are the lowest, as `withIds` takes them. */
export function repeatedFailuresOf(rows: RepeatedFailureText[]): RepeatedFailureRow[] {
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
