/**
 * What the monthly review needs from storage: aggregates for one period, computed where the
 * data is. `src/db/review-queries.ts` implements it on SQLite, `src/db/pg/review-queries.ts` on
 * PostgreSQL; tests and benches may fake it.
 */

import type { Answer, StorageMode } from "../core/storage-mode.js";

/** One local calendar day: `[start, end)` in milliseconds. */
export interface DayRange {
  day: string;
  start: number;
  end: number;
}

/** A month in a time zone: `[start, end)` in milliseconds and its days. */
export interface ReviewPeriod {
  month: string;
  timeZone: string;
  start: number;
  end: number;
  days: DayRange[];
}

/** Tasks created on one day of the period in one category, by the state they are in now. */
export interface CreatedRow {
  day: string;
  category: string;
  state: string;
  count: number;
}

/** Created → done, for the tasks created in the period that are done. */
export interface DurationRow {
  category: string;
  count: number;
  medianMs: number;
  p90Ms: number;
}

/** Attempts that ended in the period, by the task's category. */
export interface CategoryAttemptsRow {
  category: string;
  attempts: number;
}

/** Attempts that failed in the period, by the task's category and the failure class. */
export interface FailedAttemptsRow {
  category: string;
  /** Null when the failure was recorded without a class. */
  failureClass: string | null;
  failed: number;
  /** The task reached done later with no operator action in between. */
  autoRecovered: number;
}

export interface EscalationCauseRow {
  rootCause: string;
  failureClass: string | null;
  category: string | null;
  worker: string | null;
  /** The latest message's summary line. */
  summary: string;
  escalations: number;
  tasks: number;
  open: number;
  /** `retried`, `rerouted:<category>`, `cancelled`, `edited` → how many. */
  resolutions: Record<string, number>;
  /** Created → resolved, over the resolved ones; null when none was resolved. */
  medianResolutionMs: number | null;
}

/** One escalation of the period, for the list that answers "was each one handled correctly?". */
export interface EscalationItem {
  escalationId: number;
  rootCause: string;
  /** The group's summary line, as the escalation message showed it (markdown). */
  summary: string;
  createdAt: number;
  resolvedAt: number | null;
  /** `retried`, `rerouted:<category>`, `cancelled`, `edited`, `recovered`; null while open. */
  resolution: string | null;
  /** Who decided: an operator's id, or `system` (a probe that succeeded). */
  resolvedBy: string | null;
  taskIds: number[];
  /** Where each of its tasks is now, in the order of `taskIds`. */
  taskStates: string[];
}

/** An operator's action on a task that was not waiting in an escalation. */
export interface InterventionItem {
  taskId: number;
  action: string;
  actor: string;
  at: number;
  /** For a reroute: where the task was and where it went. */
  from: string | null;
  to: string | null;
  /** Where the task is now. */
  state: string;
}

export interface OtherInterventions {
  count: number;
  /** Up to the limit asked for, oldest first. */
  items: InterventionItem[];
}

export interface InterventionRow {
  action: string;
  actor: string;
  count: number;
}

/** Anomalies detected in the period, per rule and per category of the task they were about. */
export interface AnomalyRuleRow {
  rule: string;
  category: string | null;
  fired: number;
  resolved: number;
  /**
   * Resolved with no operator action on the task and no failed attempt of it between detection
   * and resolution (a hung run ended by its timeout was a real stall).
   */
  selfResolved: number;
  /** Longest detected → resolved among the resolved ones. */
  maxOpenMs: number | null;
  taskIds: number[];
  /** The detail of one of them, as the checker wrote it. */
  detail: string;
}

export interface CatchAllTask {
  taskId: number;
  objective: string;
  state: string;
  /** Where it is now: the catch-all, or where an operator rerouted it. */
  category: string;
}

export interface CatchAllVolume {
  /** Tasks created in the period that landed in the catch-all (rerouted out of it since or not). */
  count: number;
  /** Up to the limit asked for, oldest first. */
  tasks: CatchAllTask[];
}

export interface RerouteTask {
  taskId: number;
  objective: string;
  /** The routing rule that had sent it to `from` (`content.keywords`, `similarity`…). */
  rule: string | null;
  /** Where it is now: a request cancelled after all teaches nothing about routing. */
  state: string;
}

export interface ReroutePair {
  from: string;
  to: string;
  count: number;
  /** Of `count`, the reroutes of tasks not cancelled since. */
  kept: number;
  /** Up to the limit asked for, oldest first. */
  tasks: RerouteTask[];
}

/** Logic failures of one worker with the same normalised error. */
export interface RepeatedFailureRow {
  worker: string;
  signature: string;
  count: number;
  tasks: number;
  /** One of the errors as the worker wrote it. */
  example: string;
  taskIds: number[];
}

/** The period's tasks, read in one pass: counts by day and state, and created → done. */
export interface CreatedTasks {
  byDay: CreatedRow[];
  toDone: DurationRow[];
}

/** The period's ended attempts, read in one pass: all of them by category, the failed by class. */
export interface EndedAttempts {
  byCategory: CategoryAttemptsRow[];
  failed: FailedAttemptsRow[];
}

export interface DailyCountRow {
  day: string;
  count: number;
}

export interface ReviewQueries<M extends StorageMode = "sync"> {
  /** Runs `work` against one consistent snapshot, so every figure describes the same moment. */
  snapshot<T>(work: () => Answer<M, T>): Answer<M, T>;
  createdTasks(period: ReviewPeriod): Answer<M, CreatedTasks>;
  endedAttempts(period: ReviewPeriod): Answer<M, EndedAttempts>;
  escalationsByRootCause(period: ReviewPeriod): Answer<M, EscalationCauseRow[]>;
  interventions(period: ReviewPeriod): Answer<M, InterventionRow[]>;
  anomaliesByRule(period: ReviewPeriod): Answer<M, AnomalyRuleRow[]>;
  catchAll(period: ReviewPeriod, category: string, limit: number): Answer<M, CatchAllVolume>;
  reroutes(period: ReviewPeriod, tasksPerPair: number): Answer<M, ReroutePair[]>;
  repeatedLogicFailures(period: ReviewPeriod, minCount: number): Answer<M, RepeatedFailureRow[]>;
  dailyEscalations(period: ReviewPeriod): Answer<M, DailyCountRow[]>;
  /** The period's escalations, up to `perCause` for each root cause, oldest first. */
  escalationItems(period: ReviewPeriod, perCause: number): Answer<M, EscalationItem[]>;
  /** Operator actions on tasks that were not waiting in an escalation. */
  otherInterventions(period: ReviewPeriod, limit: number): Answer<M, OtherInterventions>;
  /** How many distinct tasks people rerouted in the period. */
  reroutedTasks(period: ReviewPeriod): Answer<M, number>;
}

/**
 * Which months' reviews the schedule has queued, kept across restarts so a month is posted once;
 * `src/db/review-post-store.ts` on SQLite, `src/db/pg/review-post-store.ts` on PostgreSQL.
 */
export interface ReviewPosts<M extends StorageMode = "sync"> {
  /** Records `month` as queued; false when it already was (then nothing is to be posted). */
  claim(month: string, queuedAt: number): Answer<M, boolean>;
  /** The months queued, in order. */
  months(): Answer<M, string[]>;
}
