import { type Destination, describeDestination } from "../../core/destination.js";
import { attemptCounts, timeTaken, waitedOnPeople } from "../../core/figures.js";
import type { OutboxMessage } from "../../core/outbox.js";
import { formatEscalationId, formatTaskId } from "../../core/states.js";
import type { TaskDetail } from "../../engine/engine.js";
import { describeMissing } from "../../intake/describe.js";
import type { OpenAnomaly } from "../../monitor/store.js";
import { type GroupContext, groupMessageCard, isGroupMessage } from "./escalation-cards.js";
import {
  attemptLine,
  type ConsoleView,
  duration,
  field,
  indent,
  isCatchAll,
  oneLine,
  plural,
  stamp,
  stateLabel,
  trimText,
} from "./format.js";
import { answerHint, escalationActions, routingLine } from "./task-card.js";

/** How much of a task's output a done card shows; /status shows the rest. */
export const MAX_OUTPUT_CHARS = 1200;

/**
 * An outbox message as the console shows it. Task messages need the task's detail, escalation
 * group messages their groups; a kind this console does not know yet gets one generic line.
 */
export function messageCard(
  message: OutboxMessage,
  detail: TaskDetail | undefined,
  view: ConsoleView,
  loaded: Loaded = {},
): string {
  const { groups, escalation } = loaded;
  if (isGroupMessage(message)) {
    if (groups === undefined) throw new Error(`no cards loaded for ${message.kind}`);
    return groupMessageCard(message, groups, view);
  }
  switch (message.kind) {
    case "task_done":
      return doneCard(requireDetail(message, detail), message.destination);
    case "clarification":
      return clarificationCard(message, requireDetail(message, detail));
    case "task_escalated":
      return escalatedCard(message, requireDetail(message, detail), view, escalation);
    case "task_cancelled":
      return cancelledLine(message);
    case "output_delivery":
      return outputDeliveryLine(message);
    case "anomalies":
      return anomaliesCard(message.anomalyIds.length, loaded.anomalies ?? []);
    default:
      return genericLine(message);
  }
}

function requireDetail(message: { taskId: number }, detail: TaskDetail | undefined): TaskDetail {
  if (detail === undefined || detail.task.id !== message.taskId) {
    throw new Error(`no detail loaded for ${formatTaskId(message.taskId)}`);
  }
  return detail;
}

export function doneCard(detail: TaskDetail, destination?: Destination): string {
  const { task } = detail;
  const id = formatTaskId(task.id);
  const lines = [`✓ ${id} done · ${task.category} · ${doneFigures(detail)}`];
  if (task.output === null || task.output.trim() === "") {
    lines.push("  (no output recorded)");
  } else {
    const { shown, omitted } = trimText(task.output, MAX_OUTPUT_CHARS);
    lines.push(indent(shown));
    if (omitted > 0) lines.push(`  … (${omitted} more characters, /status ${id})`);
  }
  if (destination !== undefined && destination.kind !== "reply") {
    // Files and webhooks are written by the output pump, after this card: a line follows.
    lines.push(`  → to be delivered to ${describeDestination(destination)}`);
  }
  if (task.nextId !== null) lines.push(`  then: ${formatTaskId(task.nextId)} takes the next step`);
  return lines.join("\n");
}

/** `2s, 1 attempt (plus 1 probe …; 32s waiting for a person)`: Steward's time, not people's. */
function doneFigures(detail: TaskDetail): string {
  const { task } = detail;
  const waited = waitedOnPeople(detail.events);
  const counts = attemptCounts(task, detail.attempts);
  const asides = [
    ...(counts.probes > 0
      ? [`plus ${plural(counts.probes, "probe")} while its worker was down`]
      : []),
    ...(waited > 0 ? [`${duration(waited)} waiting for a person`] : []),
  ];
  const took = duration(timeTaken(task, detail.events));
  const aside = asides.length === 0 ? "" : ` (${asides.join("; ")})`;
  return `${took}, ${plural(counts.attempts, "attempt")}${aside}`;
}

type Clarification = Extract<OutboxMessage, { kind: "clarification" }>;

export function clarificationCard(message: Clarification, detail: TaskDetail): string {
  const { task } = detail;
  const id = formatTaskId(task.id);
  const missing = message.missing.length > 0 ? describeMissing(message.missing) : "details";
  if (task.state !== "needs_clarification") {
    return `? ${id} needed ${missing}; it has moved on since (${stateLabel(task.state)})`;
  }
  return [
    `? ${id} needs ${missing}`,
    field("Objective", oneLine(task.objective || "(none yet)", 90)),
    field("Why", oneLine(message.note, 200)),
    field("Answer", `answer ${id} <${answerHint(message.missing)}>  (one line)`),
    field("Or", `edit ${id}  (field by field)`),
  ].join("\n");
}

type Escalated = Extract<OutboxMessage, { kind: "task_escalated" }>;

/** What a message's card needs besides its task's detail, loaded by the delivery. */
export interface Loaded {
  groups?: GroupContext;
  escalation?: TaskEscalation;
  /** The message's anomalies still open, in words. */
  anomalies?: readonly OpenAnomaly[];
}

/** What the status check found, each in words; those cleared since are only counted. */
export function anomaliesCard(found: number, open: readonly OpenAnomaly[]): string {
  const heading = `🔎 The status check found ${plural(found, "anomaly").replace(/anomalys$/, "anomalies")}`;
  if (open.length === 0)
    return `${heading}; ${found === 1 ? "it has" : "they have"} cleared since.`;
  const cleared = found - open.length;
  return [
    `${heading}${cleared > 0 ? ` (${cleared} cleared since)` : ""}:`,
    ...open.map((anomaly) => `  • ${oneLine(anomaly.detail, 200)}`),
  ].join("\n");
}

/** The escalation group a task waits in, and whether its four questions were shown already. */
export interface TaskEscalation {
  escalationId: number;
  /** Another task of the group had its four questions printed: this one joins them. */
  joins: boolean;
}

/** The four questions: what was Steward doing, what went wrong, what was tried, what now. */
export function escalatedCard(
  message: Escalated,
  detail: TaskDetail,
  view: ConsoleView,
  escalation?: TaskEscalation,
): string {
  const { task } = detail;
  const id = formatTaskId(task.id);
  if (task.state !== "escalated") {
    return `⚠ ${id} was escalated (${oneLine(message.reason, 80)}); it has moved on since (${stateLabel(task.state)})`;
  }
  const ref = escalation === undefined ? undefined : formatEscalationId(escalation.escalationId);
  if (ref !== undefined && escalation?.joins) {
    // One root cause, one card: the group's questions are on screen already.
    return [
      `⚠ ${id} escalated too: it joins ${ref} (same cause) — ${oneLine(message.reason, 120)}`,
      field("Actions", escalationActions(task, view).join("  ·  ")),
    ].join("\n");
  }
  return [
    `⚠ ${id} escalated — needs your decision`,
    "  What Steward was trying to do",
    `    ${oneLine(task.objective || "(no objective)", 120)}`,
    `    category ${task.category} · from ${oneLine(task.requester, 80)} via ${task.source} · filed ${stamp(task.createdAt)}`,
    "  What went wrong",
    `    ${oneLine(message.reason, 200)}`,
    ...lastErrorLines(message.reason, task),
    "  What was tried",
    `    routing: ${oneLine(routingLine(task.routing), 200)}`,
    ...(detail.attempts.length === 0
      ? ["    no attempts: it never reached a worker"]
      : detail.attempts.map((attempt, i) => `    ${attemptLine(attempt, detail.attempts[i - 1])}`)),
    "  Decision needed",
    `    ${decisionNeeded(detail, view)}`,
    "  Actions",
    ...escalationActions(task, view).map((action) => `    ${action}`),
    ...(ref === undefined ? [] : [`  Escalation: ${ref} (tasks that fail the same way join it)`]),
  ].join("\n");
}

/** The last error, unless the reason already quotes it. */
function lastErrorLines(reason: string, task: TaskDetail["task"]): string[] {
  if (task.lastError === null || reason.includes(task.lastError)) return [];
  const kind = task.failureClass === null ? "" : ` (${task.failureClass})`;
  return [`    last error${kind}: ${oneLine(task.lastError, 200)}`];
}

function decisionNeeded(detail: TaskDetail, view: ConsoleView): string {
  const { task } = detail;
  if (isCatchAll(view, task.category)) {
    return "Which category does this belong to? Reroute it, reword it with edit, or cancel it.";
  }
  switch (task.failureClass) {
    case "input":
      return "The brief itself is the problem: fix it with edit (or reroute it), or cancel it.";
    case "systemic": {
      const worker = detail.attempts.at(-1)?.worker ?? "its worker";
      return `${worker} looks down. Retry once it is back, reroute it elsewhere, or cancel it.`;
    }
    case "logic":
      return "The output kept failing the same way. Retry with fresh attempts, reroute it, or cancel it.";
    default:
      return "The attempts ran out. Retry with fresh attempts, reroute it, or cancel it.";
  }
}

type Cancelled = Extract<OutboxMessage, { kind: "task_cancelled" }>;

export function cancelledLine(message: Cancelled): string {
  const why = message.reason === "cancelled" ? "" : `: ${oneLine(message.reason, 120)}`;
  return `✗ ${formatTaskId(message.taskId)} cancelled by ${message.actor}${why}`;
}

type OutputDelivery = Extract<OutboxMessage, { kind: "output_delivery" }>;

export function outputDeliveryLine(message: OutputDelivery): string {
  const id = formatTaskId(message.taskId);
  return message.delivered
    ? `✓ ${id}'s output was delivered: ${message.detail}`
    : `! ${id}'s output was not delivered: ${oneLine(message.detail, 300)}. It is kept: /status ${id}`;
}

/** Kinds without a card yet (anomalies, reviews): one line with the ids. */
export function genericLine(message: { kind: string }): string {
  const payload = message as Record<string, unknown>;
  const refs: string[] = [];
  for (const [key, value] of Object.entries(payload)) {
    if (key === "kind") continue;
    refs.push(reference(key, value));
  }
  return `• ${message.kind.replace(/_/g, " ")}${refs.length > 0 ? ` ${refs.join(" ")}` : ""}`;
}

function reference(key: string, value: unknown): string {
  if (key === "taskId" && typeof value === "number") return formatTaskId(value);
  if (key === "escalationId" && typeof value === "number") return formatEscalationId(value);
  if (key === "escalationIds" && Array.isArray(value)) {
    return value.map((id) => formatEscalationId(Number(id))).join(", ");
  }
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return `${key}=${oneLine(text ?? "", 60)}`;
}
