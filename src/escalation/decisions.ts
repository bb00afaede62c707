import type { BriefField } from "../core/brief.js";
import { StewardError } from "../core/errors.js";
import { formatTaskId, isTerminal } from "../core/states.js";
import type { Task } from "../core/task.js";
import type { EscalatedTask, EscalationGroup } from "./store.js";

/** A brief's fields as a person filled them in (the same shape as intake's). */
type FieldValues = Partial<Record<BriefField, string | string[]>>;

/** What an operator decided on an escalation (or on one task of it). */
export type EscalationRequest =
  | { action: "retry" }
  | { action: "cancel" }
  | { action: "reroute"; category: string }
  | { action: "edit"; text?: string; fields?: FieldValues };

export interface EscalationOutcome {
  escalationId: number;
  action: EscalationRequest["action"];
  acted: Task[];
  /** Tasks the action could not apply to, and why (already moved on, already resolved…). */
  skipped: { taskId: number; why: string }[];
  resolved: boolean;
}

/** The tasks of an escalation still waiting for a decision (of `onlyTaskId` alone, when given). */
export function stillWaiting(
  members: readonly EscalatedTask[],
  onlyTaskId?: number,
): EscalatedTask[] {
  return members.filter(
    (member) =>
      member.resolvedAt === null && (onlyTaskId === undefined || member.task.id === onlyTaskId),
  );
}

/** How a decision is recorded on the escalation and its tasks. */
export function resolutionOf(request: EscalationRequest): string {
  switch (request.action) {
    case "reroute":
      return `rerouted:${request.category}`;
    case "edit":
      return "edited";
    case "retry":
      return "retried";
    case "cancel":
      return "cancelled";
  }
}

/**
 * The tasks a decision on `escalationId` applies to; refuses a group that does not exist, is
 * resolved, or has nothing waiting any more (a stale button changes nothing and says why).
 */
export function decidable(
  escalationId: number,
  group: EscalationGroup | undefined,
  waiting: readonly EscalatedTask[],
): EscalatedTask[] {
  if (group === undefined)
    throw new StewardError("escalation_not_found", `E-${escalationId} does not exist`);
  if (group.state === "resolved") {
    throw new StewardError(
      "stale_action",
      `E-${escalationId} was already resolved (${group.resolution ?? "resolved"} by ${group.resolvedBy ?? "system"}); nothing changed.`,
    );
  }
  if (waiting.length === 0) {
    throw new StewardError(
      "stale_action",
      `nothing in E-${escalationId} is waiting for that decision any more`,
    );
  }
  return [...waiting];
}

/** A systemic incident's tasks wait behind its paused worker: a retry probes it now. */
export function pausedWorkerOf(group: EscalationGroup): string | null {
  return group.failureClass === "systemic" ? group.worker : null;
}

/** One task's share of a decision: what to do with it, or why it does not apply. */
export type DecisionStep =
  | { kind: "skip"; why: string }
  | { kind: "cancel" }
  | { kind: "probe"; worker: string }
  | { kind: "retry" }
  | { kind: "reroute"; category: string }
  | { kind: "edit"; text?: string; fields?: FieldValues };

export function stepFor(
  current: Task,
  request: EscalationRequest,
  pausedWorker: string | null,
): DecisionStep {
  const id = formatTaskId(current.id);
  if (request.action === "cancel") {
    return isTerminal(current.state)
      ? { kind: "skip", why: `${id} is already ${current.state}` }
      : { kind: "cancel" };
  }
  // A systemic incident's tasks wait in the queue behind the paused worker, not escalated.
  const waiting =
    current.state === "escalated" || (pausedWorker !== null && current.state === "queued");
  if (!waiting)
    return { kind: "skip", why: `${id} is ${current.state} now, no longer waiting for a decision` };
  switch (request.action) {
    case "retry":
      return pausedWorker !== null ? { kind: "probe", worker: pausedWorker } : { kind: "retry" };
    case "reroute":
      return { kind: "reroute", category: request.category };
    case "edit":
      return { kind: "edit", text: request.text, fields: request.fields };
  }
}
