import { StewardError } from "./errors.js";

/**
 * The task lifecycle (docs/architecture.md, "Lifecycle"). `intake` is where every task
 * starts: it is the `from` of a task's first event, and the state a brief passes through again
 * when a requester answers.
 */
export const TASK_STATES = [
  "intake",
  "needs_clarification",
  "queued",
  "running",
  "reviewing",
  "retry_wait",
  "escalated",
  "done",
  "cancelled",
] as const;

export type TaskState = (typeof TASK_STATES)[number];

export const TERMINAL_STATES: readonly TaskState[] = ["done", "cancelled"];

/** States a task can be in while stored (intake is only ever a `from`). */
export const ACTIVE_STATES: readonly TaskState[] = [
  "needs_clarification",
  "queued",
  "running",
  "reviewing",
  "retry_wait",
  "escalated",
];

/**
 * Every allowed move. Anything not here is refused. Self-moves are listed where they mean
 * something: a clarification answered but still incomplete, a reroute of a queued task.
 */
export const TRANSITIONS: Readonly<Record<TaskState, readonly TaskState[]>> = {
  intake: ["needs_clarification", "queued", "escalated"],
  needs_clarification: ["needs_clarification", "queued", "escalated", "cancelled"],
  queued: ["queued", "running", "escalated", "cancelled"],
  // running → queued: a lease expired (crash) or the worker was paused by a systemic failure.
  running: ["reviewing", "retry_wait", "needs_clarification", "escalated", "queued", "cancelled"],
  reviewing: ["done", "retry_wait", "needs_clarification", "escalated", "queued", "cancelled"],
  retry_wait: ["queued", "escalated", "cancelled"],
  // escalated → needs_clarification: an operator chose to edit the brief with the requester.
  escalated: ["queued", "needs_clarification", "cancelled"],
  done: [],
  cancelled: [],
};

export function canTransition(from: TaskState, to: TaskState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isTerminal(state: TaskState): boolean {
  return TERMINAL_STATES.includes(state);
}

export class IllegalTransitionError extends StewardError {
  constructor(
    readonly taskId: number,
    readonly from: TaskState,
    readonly to: TaskState,
  ) {
    super("illegal_transition", `${formatTaskId(taskId)} cannot go from ${from} to ${to}`);
  }
}

export function assertTransition(taskId: number, from: TaskState, to: TaskState): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(taskId, from, to);
}

/** Who caused a change: the system, a worker, or a person (Discord user id or console). */
export type Actor = string;
export const SYSTEM_ACTOR: Actor = "system";

export function formatTaskId(id: number): string {
  return `T-${id}`;
}

export function formatEscalationId(id: number): string {
  return `E-${id}`;
}

/** Accepts `T-42`, `t42`, `#42` or `42`. */
export function parseTaskId(text: string): number | undefined {
  const match = /^\s*(?:t-?|#)?(\d+)\s*$/i.exec(text);
  return match ? Number(match[1]) : undefined;
}

export function parseEscalationId(text: string): number | undefined {
  const match = /^\s*(?:e-?|#)?(\d+)\s*$/i.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** How many tasks are in one (state, category) pair: what the status views count. */
export interface StateCount {
  state: TaskState;
  category: string;
  count: number;
}
