/**
 * The status checker's rules: each a pure function of plain data and `now`, so every rule is a
 * table test with a fixed clock. The checker gathers the data (src/db/monitor-queries.ts) and
 * records what the rules find as anomalies.
 */
import { formatDuration } from "../config/duration.js";
import type { ProcessEntry } from "../core/processes.js";
import { formatEscalationId, formatTaskId, type TaskState } from "../core/states.js";

export const RULE_IDS = [
  "stalled.threshold",
  "stalled.median",
  "retries.exhausted",
  "retries.approaching",
  "pipeline.missing_next",
  "delivery.missing",
  "escalation.unanswered",
  "processes.config_drift",
] as const;

export type RuleId = (typeof RULE_IDS)[number];

/** One thing a rule found. `(rule, subject)` is the key: one open anomaly per key at a time. */
export interface Finding {
  rule: RuleId;
  /**
   * A stable key: `task:42:queued` (one stay in one state), `task:42`, `escalation:7`,
   * `config:<fingerprints>` (one set of config files running side by side).
   */
  subject: string;
  detail: string;
  taskId?: number;
  escalationId?: number;
  /** escalation.unanswered only: nobody has been reminded yet, so send the one reminder. */
  remind?: boolean;
}

/** A task in an active state, as the stall rules see it. */
export interface StayingTask {
  id: number;
  category: string;
  state: TaskState;
  stateSince: number;
}

/** A task as the retry rules see it. */
export interface RetryingTask extends StayingTask {
  attempts: number;
  maxAttempts: number;
}

export interface DoneTask {
  id: number;
  category: string;
  /** When it became done (its `stateSince`). */
  doneAt: number;
  nextId: number | null;
  deliveredAt: number | null;
}

export interface OpenEscalation {
  id: number;
  postedAt: number | null;
  remindedAt: number | null;
}

/** How long a category's tasks usually stay in a state, from completed stays. */
export interface StayStats {
  median: number;
  samples: number;
}

/** category → state → value (stall limits in ms, median stats). */
export type PerCategoryState<T> = Readonly<Record<string, Partial<Record<TaskState, T>>>>;

export interface RuleSettings {
  stallFactor: number;
  /** Completed stays a (category, state) needs before its median means anything. */
  minSamples: number;
  /** Never call a stay stalled below this, however short the median (idle queues: seconds). */
  medianFloorMs: number;
  pipelineGraceMs: number;
  deliveryGraceMs: number;
  remindAfterMs: number;
}

/** A process beating on the database, as the config-drift rule sees it. */
export type LiveProcess = Pick<ProcessEntry, "host" | "pid" | "config">;

/** Everything the rules look at, gathered once per run. */
export interface MonitorSnapshot {
  /** The processes beating on the database (one, on SQLite). */
  processes: readonly LiveProcess[];
  /** Active tasks past at least one stall cutoff (see `stallCutoffs`). */
  stalled: readonly StayingTask[];
  /** Escalated tasks and tasks waiting for a retry (on their last attempt or past it). */
  retrying: readonly RetryingTask[];
  /** Done tasks without a delivery or without their next step. */
  done: readonly DoneTask[];
  escalations: readonly OpenEscalation[];
  limits: PerCategoryState<number>;
  medians: PerCategoryState<StayStats>;
  /** category → the category its `then:` names. */
  pipelines: Readonly<Record<string, string>>;
  settings: RuleSettings;
}

export interface Rule {
  id: RuleId;
  check(snapshot: MonitorSnapshot, now: number): Finding[];
}

/** A task in one state longer than its category's configured limit for that state. */
export function stalledThreshold(snapshot: MonitorSnapshot, now: number): Finding[] {
  return snapshot.stalled.flatMap((task) => {
    const limit = snapshot.limits[task.category]?.[task.state];
    const stayed = now - task.stateSince;
    if (limit === undefined || !(stayed > limit)) return [];
    return [
      stallFinding(
        "stalled.threshold",
        task,
        `${formatTaskId(task.id)} has been ${task.state} for ${formatDuration(stayed)}, ` +
          `over the ${task.category} limit of ${formatDuration(limit)}`,
      ),
    ];
  });
}

/** A task in one state longer than `stall_factor` × its category's median, once there is history. */
export function stalledMedian(snapshot: MonitorSnapshot, now: number): Finding[] {
  const { settings } = snapshot;
  return snapshot.stalled.flatMap((task) => {
    const stats = snapshot.medians[task.category]?.[task.state];
    const limit = medianLimit(stats, settings);
    const stayed = now - task.stateSince;
    if (stats === undefined || limit === undefined || !(stayed > limit)) return [];
    const usual = formatDuration(stats.median);
    const sample = `median of ${stats.samples} stays`;
    // Past the floor only: "3× over the usual 0ms" would name a multiple of nothing.
    const over =
      settings.stallFactor * stats.median < settings.medianFloorMs
        ? `over the ${formatDuration(limit)} floor in ${task.category} (the usual ${usual}, ` +
          `${sample}, is too short for ${settings.stallFactor}× to mean anything)`
        : `${settings.stallFactor}× over the usual ${usual} in ${task.category} (${sample})`;
    return [
      stallFinding(
        "stalled.median",
        task,
        `${formatTaskId(task.id)} has been ${task.state} for ${formatDuration(stayed)}, ${over}`,
      ),
    ];
  });
}

/** Escalated because the retries ran out. */
export function retriesExhausted(snapshot: MonitorSnapshot, _now: number): Finding[] {
  return snapshot.retrying
    .filter((task) => task.state === "escalated" && task.attempts >= task.maxAttempts)
    .map((task) =>
      taskFinding(
        "retries.exhausted",
        task.id,
        `${formatTaskId(task.id)} was escalated after ${task.attempts} of ${task.maxAttempts} attempts`,
      ),
    );
}

/** Waiting for the last retry it has: one more failure and it escalates. */
export function retriesApproaching(snapshot: MonitorSnapshot, _now: number): Finding[] {
  return snapshot.retrying
    .filter(
      (task) =>
        task.state === "retry_wait" && task.attempts >= 1 && task.attempts === task.maxAttempts - 1,
    )
    .map((task) =>
      taskFinding(
        "retries.approaching",
        task.id,
        `${formatTaskId(task.id)} failed ${task.attempts} times; ` +
          `attempt ${task.maxAttempts} of ${task.maxAttempts} is its last`,
      ),
    );
}

/** Done in a category with `then:`, and the next step was never created. */
export function pipelineMissingNext(snapshot: MonitorSnapshot, now: number): Finding[] {
  const grace = snapshot.settings.pipelineGraceMs;
  return snapshot.done.flatMap((task) => {
    const then = snapshot.pipelines[task.category];
    if (then === undefined || task.nextId !== null || !(now - task.doneAt > grace)) return [];
    return [
      taskFinding(
        "pipeline.missing_next",
        task.id,
        `${formatTaskId(task.id)} finished ${formatDuration(now - task.doneAt)} ago ` +
          `but its next step (then: ${then}) was never created`,
      ),
    ];
  });
}

/** Done for longer than the grace period and its output never reached its destination. */
export function deliveryMissing(snapshot: MonitorSnapshot, now: number): Finding[] {
  const grace = snapshot.settings.deliveryGraceMs;
  return snapshot.done
    .filter((task) => task.deliveredAt === null && now - task.doneAt > grace)
    .map((task) =>
      taskFinding(
        "delivery.missing",
        task.id,
        `${formatTaskId(task.id)} finished ${formatDuration(now - task.doneAt)} ago ` +
          "and its output has not been delivered",
      ),
    );
}

/**
 * Posted and still waiting for a person after `remind_after`. The anomaly stays open until the
 * escalation is answered; the reminder goes out once (`remind` only while none was sent).
 */
export function escalationUnanswered(snapshot: MonitorSnapshot, now: number): Finding[] {
  const after = snapshot.settings.remindAfterMs;
  return snapshot.escalations.flatMap((escalation) => {
    const { id, postedAt } = escalation;
    if (postedAt === null || !(now - postedAt > after)) return [];
    return [
      {
        rule: "escalation.unanswered",
        subject: `escalation:${id}`,
        escalationId: id,
        remind: escalation.remindedAt === null,
        detail:
          `${formatEscalationId(id)} has waited ${formatDuration(now - postedAt)} for an answer ` +
          `(reminder after ${formatDuration(after)})`,
      },
    ];
  });
}

/**
 * Processes running different config files side by side: a host left on an old steward.yaml
 * retries, reviews or routes by rules the others dropped, and nothing else would say so. One
 * anomaly per set of files, closed once every process runs the same one.
 */
export function configDrift(snapshot: MonitorSnapshot, _now: number): Finding[] {
  const known = snapshot.processes.filter((process) => process.config !== "");
  const files = [...new Set(known.map((process) => process.config))].sort();
  if (files.length < 2) return [];
  const where = files.map((file) => {
    const on = known.filter((process) => process.config === file);
    return `${file} on ${on.map(({ host, pid }) => `${host} pid ${pid}`).join(", ")}`;
  });
  return [
    {
      rule: "processes.config_drift",
      subject: `config:${files.join(",")}`,
      detail:
        `processes run ${files.length} different config files (${where.join("; ")}): ` +
        "give every host the same steward.yaml (and corpus)",
    },
  ];
}

/** Every rule, in the order findings are reported. */
export const RULES: readonly Rule[] = [
  { id: "stalled.threshold", check: stalledThreshold },
  { id: "stalled.median", check: stalledMedian },
  { id: "retries.exhausted", check: retriesExhausted },
  { id: "retries.approaching", check: retriesApproaching },
  { id: "pipeline.missing_next", check: pipelineMissingNext },
  { id: "delivery.missing", check: deliveryMissing },
  { id: "escalation.unanswered", check: escalationUnanswered },
  { id: "processes.config_drift", check: configDrift },
];

/** A cutoff for the stall query: tasks in `state` of `category` that entered it before `before`. */
export interface StallCutoff {
  state: TaskState;
  category: string;
  before: number;
}

/**
 * The earliest limit either stall rule applies per (category, state), as a `state_since`
 * bound: the query then returns exactly the candidates, never the whole state.
 */
export function stallCutoffs(
  limits: PerCategoryState<number>,
  medians: PerCategoryState<StayStats>,
  settings: RuleSettings,
  now: number,
): StallCutoff[] {
  const cutoffs = new Map<string, StallCutoff>();
  const consider = (category: string, state: TaskState, limit: number | undefined) => {
    if (limit === undefined || !Number.isFinite(limit)) return;
    const key = `${category}\u0000${state}`;
    const before = now - limit;
    const known = cutoffs.get(key);
    if (known === undefined || before > known.before) cutoffs.set(key, { state, category, before });
  };
  for (const [category, perState] of Object.entries(limits)) {
    for (const [state, limit] of entries(perState)) consider(category, state, limit);
  }
  for (const [category, perState] of Object.entries(medians)) {
    for (const [state, stats] of entries(perState)) {
      consider(category, state, medianLimit(stats, settings));
    }
  }
  return [...cutoffs.values()];
}

/** `stall_factor` × median, not below the floor; undefined without enough history. */
export function medianLimit(
  stats: StayStats | undefined,
  settings: RuleSettings,
): number | undefined {
  if (stats === undefined || stats.samples < settings.minSamples) return undefined;
  return Math.max(settings.stallFactor * stats.median, settings.medianFloorMs);
}

/** The middle value (mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function stallFinding(rule: RuleId, task: StayingTask, detail: string): Finding {
  // The state is part of the subject: a stall in `running` is a new finding, not the old one.
  return { rule, subject: `task:${task.id}:${task.state}`, taskId: task.id, detail };
}

function taskFinding(rule: RuleId, taskId: number, detail: string): Finding {
  return { rule, subject: `task:${taskId}`, taskId, detail };
}

function entries<T>(
  perState: Partial<Record<TaskState, T>> | undefined,
): [TaskState, T | undefined][] {
  return Object.entries(perState ?? {}) as [TaskState, T | undefined][];
}
