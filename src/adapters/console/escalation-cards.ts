import type { OutboxMessage } from "../../core/outbox.js";
import { formatEscalationId, formatTaskId } from "../../core/states.js";
import type { Task } from "../../core/task.js";
import type { EscalationOutcome, EscalationRequest } from "../../engine/engine.js";
import type { EscalationActionKind, EscalationCard } from "../../escalation/format.js";
import {
  type ConsoleView,
  duration,
  field,
  oneLine,
  plural,
  rerouteTargets,
  stamp,
  stateLabel,
} from "./format.js";
import { whatNext } from "./task-card.js";

/** What the console needs of one escalation group: the engine's card and the group's row. */
export interface GroupSnapshot {
  card: EscalationCard;
  /** The group's category, left out of its reroute targets. */
  category: string | null;
  createdAt: number;
  resolved?: { resolution: string; by: string };
}

/** Everything a group message needs besides the message itself. */
export interface GroupContext {
  groups: ReadonlyMap<number, GroupSnapshot>;
  now: number;
  /** Tasks whose four questions this session already printed (their own card or their group's). */
  shownTasks: ReadonlySet<number>;
}

export type GroupMessage = Extract<
  OutboxMessage,
  {
    kind:
      | "escalation"
      | "escalation_digest"
      | "escalation_updated"
      | "escalation_resolved"
      | "reminder";
  }
>;

const GROUP_KINDS: ReadonlySet<OutboxMessage["kind"]> = new Set([
  "escalation",
  "escalation_digest",
  "escalation_updated",
  "escalation_resolved",
  "reminder",
]);

export function isGroupMessage(message: OutboxMessage): message is GroupMessage {
  return GROUP_KINDS.has(message.kind);
}

/** The groups a message talks about. */
export function groupIdsOf(message: GroupMessage): number[] {
  return message.kind === "escalation_digest" ? message.escalationIds : [message.escalationId];
}

/** Wide enough for the prose of a card, narrow enough for a default terminal. */
const WIDTH = 100;
/** Task ids listed in one line before the rest are counted instead. */
const MAX_IDS = 10;

export function groupMessageCard(
  message: GroupMessage,
  context: GroupContext,
  view: ConsoleView,
): string {
  switch (message.kind) {
    case "escalation":
      return groupCard(requireGroup(context, message.escalationId), view, context.shownTasks);
    case "escalation_digest":
      return digestCard(
        message.escalationIds.map((id) => requireGroup(context, id)),
        view,
        context.shownTasks,
      );
    case "escalation_updated":
      return updatedLine(requireGroup(context, message.escalationId));
    case "reminder":
      return reminderCard(requireGroup(context, message.escalationId), view, context.now);
    case "escalation_resolved":
      return resolvedLine(requireGroup(context, message.escalationId));
  }
}

function requireGroup(context: GroupContext, id: number): GroupSnapshot {
  const group = context.groups.get(id);
  // Thrown so that the pump retries the message rather than printing half of it.
  if (group === undefined) throw new Error(`no card loaded for ${formatEscalationId(id)}`);
  return group;
}

/**
 * A posted group: the four questions and the commands that act on the whole group. A group of
 * one task whose own escalation card was just printed gets a short pointer instead, so the same
 * four answers are not printed twice.
 */
export function groupCard(
  group: GroupSnapshot,
  view: ConsoleView,
  shownTasks: ReadonlySet<number> = new Set(),
): string {
  const { card } = group;
  if (group.resolved !== undefined) {
    return `✓ ${plainText(card.title)} — already resolved: ${resolutionText(group.resolved)}`;
  }
  const shown = card.taskIds.find((id) => shownTasks.has(id));
  if (shown !== undefined) {
    // One root cause, one card: the four answers were printed with a task's card already.
    const id = formatTaskId(shown);
    const covers =
      card.taskIds.length === 1
        ? `${id} (its four questions are in the ${id} card above)`
        : `${idList(card.taskIds)} (the four questions are in the ${id} card above)`;
    return [
      headline(card),
      field("Covers", covers),
      field("Actions", groupActions(group, view).join("  ·  ")),
      ...oneTaskHint(card.taskIds),
    ].join("\n");
  }
  const lines = [headline(card)];
  for (const { name, value } of card.fields) {
    lines.push(`  ${name}`);
    for (const line of plainText(value).split("\n")) lines.push(...wrap(line, "    "));
  }
  lines.push(...wrap(plainText(card.footer), "  "));
  lines.push(card.taskIds.length > 1 ? "  Actions (on the whole group)" : "  Actions");
  for (const action of groupActions(group, view)) lines.push(`    ${action}`);
  lines.push(...oneTaskHint(card.taskIds));
  return lines.join("\n");
}

/** How to decide for one task of a group of several. */
function oneTaskHint(taskIds: readonly number[]): string[] {
  if (taskIds.length < 2) return [];
  // Reroute and cancel are offered for every failure; retry and edit are not.
  const [a, b] = taskIds.map(formatTaskId);
  return [`  One task only: the same with its id, e.g. reroute ${a} <category> or cancel ${b}`];
}

function headline(card: EscalationCard): string {
  const title = plainText(card.title);
  // An urgent card already starts with its own mark.
  return wrap(title.startsWith("🚨") ? title : `⚠ ${title}`, "", "  ").join("\n");
}

/** Quiet hours held several groups back: one heading, then each group as it would have come. */
export function digestCard(
  groups: readonly GroupSnapshot[],
  view: ConsoleView,
  shownTasks: ReadonlySet<number> = new Set(),
): string {
  const refs = groups.map((group) => group.card.ref).join(", ");
  const heading = `⚠ ${plural(groups.length, "escalation")} held back during quiet hours: ${refs}`;
  return [heading, ...groups.map((group) => groupCard(group, view, shownTasks))].join("\n");
}

/** More tasks joined a group already shown: one line, not the whole card again. */
export function updatedLine(group: GroupSnapshot): string {
  const { card } = group;
  const since = group.resolved === undefined ? "" : " (resolved since)";
  return `⚠ ${card.ref} now covers ${plural(card.taskIds.length, "task")}: ${idList(card.taskIds)}${since}`;
}

export function reminderCard(group: GroupSnapshot, view: ConsoleView, now: number): string {
  const { card } = group;
  if (group.resolved !== undefined) {
    return `✓ ${card.ref} was resolved before its reminder: ${resolutionText(group.resolved)}`;
  }
  const opened = `opened ${stamp(group.createdAt)}, ${duration(now - group.createdAt)} ago`;
  return [
    `⏰ ${card.ref} is still waiting for a decision (${opened})`,
    field("What", oneLine(plainText(card.description))),
    field("Tasks", idList(card.taskIds)),
    field("Actions", groupActions(group, view).join("  ·  ")),
  ].join("\n");
}

export function resolvedLine(group: GroupSnapshot): string {
  const how = group.resolved === undefined ? "" : `: ${resolutionText(group.resolved)}`;
  return `✓ ${group.card.ref} resolved${how}`;
}

/** `retried by owner`, `rerouted to research by owner`, `the worker recovered by itself`. */
export function resolutionText(resolved: { resolution: string; by: string }): string {
  const { resolution, by } = resolved;
  if (resolution === "recovered") return "the worker recovered by itself";
  if (resolution.startsWith("rerouted:")) {
    return `rerouted to ${resolution.slice("rerouted:".length)} by ${by}`;
  }
  if (resolution === "edited") return `brief edited by ${by}`;
  return `${resolution} by ${by}`;
}

const ACTION_ORDER: readonly EscalationActionKind[] = ["retry", "reroute", "edit", "cancel"];

/** The card's actions as commands on the group, in the order the task cards use. */
export function groupActions(group: GroupSnapshot, view: ConsoleView): string[] {
  const ref = group.card.ref;
  const targets = rerouteTargets(view).filter((name) => name !== group.category);
  return ACTION_ORDER.filter((action) => group.card.actions.includes(action)).map((action) => {
    switch (action) {
      case "reroute":
        return `reroute ${ref} <${targets.join("|")}>`;
      default:
        return `${action} ${ref}`;
    }
  });
}

/**
 * Discord markdown made readable on a terminal: emphasis and code marks dropped, links as
 * `text (url)`, and sentences about buttons and menus (the console has commands) left out.
 */
export function plainText(markdown: string): string {
  // Escaped characters are task text, not markup: set aside before the markup is stripped.
  const escaped: string[] = [];
  return markdown
    .replace(
      /\\([\\*_~`|>[\]#])/g,
      (_whole, character: string) => `\uE000${escaped.push(character) - 1}\uE001`,
    )
    .replace(/\[([^\]\n]+)\]\((\S+?)\)/g, "$1 ($2)")
    .replace(/\*\*|__|~~|`/g, "")
    .replace(/\s*[^.\n]*\b(?:buttons?|menu)\b[^.\n]*\./gi, "")
    .replace(/\uE000(\d+)\uE001/g, (_whole, index: string) => escaped[Number(index)] ?? "");
}

/**
 * One line of prose folded at word boundaries to fit `WIDTH`, each piece after `indent`; the
 * pieces after the first hang under `hang` (a line's own leading spaces are kept, plus two).
 */
export function wrap(line: string, indent: string, hang?: string): string[] {
  const lead = /^\s*/.exec(line)?.[0] ?? "";
  const first = `${indent}${lead}`;
  const rest = hang ?? `${first}${lead === "" ? "" : "  "}`;
  const words = line.trim().split(/\s+/);
  if (words.length === 1 && words[0] === "") return [first.trimEnd()];
  const out: string[] = [];
  let current = first;
  let fresh = true;
  for (const word of words) {
    if (!fresh && current.length + 1 + word.length > WIDTH) {
      out.push(current);
      current = rest;
      fresh = true;
    }
    current += fresh ? word : ` ${word}`;
    fresh = false;
  }
  out.push(current);
  return out;
}

/** `T-4, T-5, T-6`; a long list ends with how many more there are. */
export function idList(taskIds: readonly number[]): string {
  const shown = taskIds.slice(0, MAX_IDS).map(formatTaskId).join(", ");
  const more = taskIds.length - MAX_IDS;
  return more > 0 ? `${shown} and ${more} more` : shown;
}

const VERBS: Record<EscalationRequest["action"], string> = {
  retry: "retried",
  reroute: "rerouted",
  cancel: "cancelled",
  edit: "edited",
};

/** After `retry E-3` and the like: what moved where, what was skipped and why, what is left. */
export function outcomeText(outcome: EscalationOutcome, request: EscalationRequest): string {
  const ref = formatEscalationId(outcome.escalationId);
  const to = request.action === "reroute" ? ` to ${request.category}` : "";
  const what = request.action === "edit" ? "brief edited" : `${VERBS[request.action]}${to}`;
  const lines = [
    outcome.acted.length === 0
      ? `${ref}: no task could be ${VERBS[request.action]}`
      : `${ref} ${what}: ${plural(outcome.acted.length, "task")}`,
  ];
  for (const task of outcome.acted) lines.push(`  ${movedTaskLine(task, request)}`);
  for (const skipped of outcome.skipped) lines.push(`  skipped: ${skipped.why}`);
  lines.push(
    outcome.resolved
      ? `  ${ref} is resolved`
      : `  ${ref} stays open: the skipped tasks still count as waiting in it`,
  );
  return lines.join("\n");
}

function movedTaskLine(task: Task, request: EscalationRequest): string {
  const id = formatTaskId(task.id);
  const where = request.action === "reroute" ? `${task.category} · ` : "";
  const next = whatNext(task);
  return `${id} → ${where}${stateLabel(task.state)}${next === undefined ? "" : `, ${next}`}`;
}
