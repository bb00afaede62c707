import { formatDuration } from "../config/duration.js";
import type { FailureClass } from "../core/failures.js";
import { oneLine } from "../core/one-line.js";
import { formatEscalationId, formatTaskId } from "../core/states.js";
import type { Task } from "../core/task.js";

/** Discord's embed limits: a card that fits them fits everywhere else too. */
export const CARD_LIMITS = {
  title: 256,
  description: 4096,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  total: 6000,
} as const;

export interface AttemptSummary {
  number: number;
  startedAt: number;
  endedAt: number | null;
  outcome: string;
  failureClass: string | null;
  error: string | null;
}

export interface EscalationMember {
  task: Task;
  reason: string;
  attempts: AttemptSummary[];
  resolution: string | null;
}

export interface EscalationView {
  id: number;
  summary: string;
  failureClass: FailureClass | null;
  category: string | null;
  worker: string | null;
  urgent: boolean;
  createdAt: number;
  members: EscalationMember[];
  /** Where a reroute may send the tasks. */
  categories: string[];
  resolved?: { resolution: string; by: string; at: number };
  /** How often a paused worker is probed, for systemic incidents. */
  probeEveryMs?: number;
}

export type EscalationActionKind = "retry" | "reroute" | "cancel" | "edit";

export interface EscalationCard {
  ref: string;
  title: string;
  description: string;
  fields: { name: string; value: string }[];
  footer: string;
  actions: EscalationActionKind[];
  taskIds: number[];
}

export const QUESTIONS = {
  trying: "What Steward was trying to do",
  wrong: "What went wrong",
  tried: "What was already tried",
  decision: "What decision is needed",
} as const;

/** Text no longer than `max`, cut at a word boundary and marked, never mid-word. */
export function fitWords(text: string, max: number): string {
  if (text.length <= max) return text;
  const room = text.slice(0, max - 1);
  const lastSpace = room.search(/\s\S*$/);
  const cut = lastSpace > max / 2 ? room.slice(0, lastSpace) : room;
  return `${cut.trimEnd()}…`;
}

export function formatTime(at: number): string {
  return `${new Date(at).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** Task text shown in markdown: its formatting characters are shown, not obeyed. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\*_~`|>[\]]/g, (character) => `\\${character}`).replace(/^#/, "\\#");
}

/** Task-derived text: one line, markdown neutralised. */
function plain(text: string): string {
  return escapeMarkdown(oneLine(text));
}

/** Lines joined until `max` would be passed; the rest is summarised, not dropped silently. */
function fitLines(lines: string[], max: number, summariseRest: (count: number) => string): string {
  const kept: string[] = [];
  let length = 0;
  for (const [index, line] of lines.entries()) {
    const rest = lines.length - index - 1;
    const tail = rest > 0 ? summariseRest(rest).length + 1 : 0;
    if (length + line.length + 1 + tail > max) {
      kept.push(summariseRest(lines.length - index));
      return kept.join("\n");
    }
    kept.push(line);
    length += line.length + 1;
  }
  return kept.join("\n");
}

function attemptLine(attempt: AttemptSummary): string {
  const took =
    attempt.endedAt === null
      ? "still running"
      : formatDuration(attempt.endedAt - attempt.startedAt);
  const failure = attempt.failureClass ? ` ${attempt.failureClass}` : "";
  const error = attempt.error ? `: ${fitWords(plain(attempt.error), 160)}` : "";
  return `#${attempt.number} ${formatTime(attempt.startedAt)} (${took}) ${attempt.outcome}${failure}${error}`;
}

/** How an interface names a person from their id (Discord: a mention that does not ping). */
export type PersonName = (id: string) => string;

function tryingToDo(view: EscalationView, person: PersonName): string {
  const first = view.members[0]!.task;
  const scope = `**${fitWords(plain(first.objective), 300)}**\ncategory \`${first.category}\` · requested by ${person(first.requester)} via ${plain(first.source)}`;
  if (view.members.length === 1) return `${formatTaskId(first.id)}: ${scope}`;
  const ids = view.members.map((member) => formatTaskId(member.task.id));
  return `${view.members.length} tasks (${fitWords(ids.join(", "), 300)}). First, ${formatTaskId(first.id)}: ${scope}`;
}

function wentWrong(view: EscalationView): string {
  const first = view.members[0]!;
  const error = first.task.lastError ?? first.reason;
  const failure = view.failureClass ? `**${view.failureClass}** failure` : "**no category fits**";
  const worker = view.worker ? ` in worker \`${view.worker}\`` : "";
  return `${failure}${worker}: ${fitWords(plain(error), 400)}\n${fitWords(plain(first.reason), 300)}`;
}

function alreadyTried(view: EscalationView): string {
  const lines = view.members.flatMap((member) => {
    if (member.attempts.length === 0)
      return [
        `${formatTaskId(member.task.id)}: no attempt — routing sent it here before any worker ran`,
      ];
    const header = `${formatTaskId(member.task.id)}: ${member.attempts.length} attempt${member.attempts.length === 1 ? "" : "s"}`;
    return [header, ...member.attempts.map((attempt) => `  ${attemptLine(attempt)}`)];
  });
  return fitLines(
    lines,
    CARD_LIMITS.fieldValue,
    (rest) => `… and ${rest} more lines: /status on each task has the full timeline`,
  );
}

const DECISIONS: Record<FailureClass | "none", string> = {
  transient:
    "The service kept failing after every retry. **Retry** if it is back, **Reroute** if another category's worker should do it, **Cancel** if it is no longer needed.",
  input:
    "The brief is missing something only a person can supply. **Edit brief** to add it (the task then runs again), or **Cancel**.",
  logic:
    "The output keeps failing the same way (rejected by the review, or by the worker itself): the worker's instructions likely need work. Fix them and **Retry**, **Reroute** to another category, or **Cancel**.",
  systemic:
    "The worker is paused and its tasks wait; Steward probes it and resumes by itself when it answers. **Retry** probes now, **Reroute** moves the waiting tasks elsewhere, **Cancel** drops them.",
  none: "No category fits this request. **Reroute** it to the right category (and consider adding keywords so the rules learn), or **Cancel**.",
};

function decisionNeeded(view: EscalationView): string {
  const base = DECISIONS[view.failureClass ?? "none"];
  const probe =
    view.failureClass === "systemic" && view.probeEveryMs
      ? ` Next probe within ${formatDuration(view.probeEveryMs)}.`
      : "";
  const scope =
    view.members.length > 1
      ? " Buttons act on the whole group; pick a task in the menu to act on one."
      : "";
  return `${base}${probe}${scope}`;
}

function actionsFor(view: EscalationView): EscalationActionKind[] {
  if (view.resolved) return [];
  const actions: EscalationActionKind[] =
    view.failureClass === null ? ["reroute", "cancel"] : ["retry", "reroute", "cancel"];
  if (view.failureClass === "input") actions.push("edit");
  return actions;
}

/** One message answering the four questions, within Discord's limits. */
export function formatEscalation(view: EscalationView, person: PersonName = plain): EscalationCard {
  const ref = formatEscalationId(view.id);
  const urgent = view.urgent ? "🚨 " : "";
  const title = fitWords(`${urgent}${ref} · ${oneLine(view.summary)}`, CARD_LIMITS.title);
  const fields = [
    { name: QUESTIONS.trying, value: fitWords(tryingToDo(view, person), CARD_LIMITS.fieldValue) },
    { name: QUESTIONS.wrong, value: fitWords(wentWrong(view), CARD_LIMITS.fieldValue) },
    { name: QUESTIONS.tried, value: alreadyTried(view) },
    { name: QUESTIONS.decision, value: fitWords(decisionNeeded(view), CARD_LIMITS.fieldValue) },
  ];
  const resolved = view.resolved
    ? `Resolved: ${view.resolved.resolution} by ${view.resolved.by} at ${formatTime(view.resolved.at)}`
    : "";
  const footer = fitWords(
    [
      resolved,
      `${ref} · opened ${formatTime(view.createdAt)} · tasks ${view.members.map((m) => formatTaskId(m.task.id)).join(", ")}`,
    ]
      .filter(Boolean)
      .join(" · "),
    CARD_LIMITS.footer,
  );
  const description = fitWords(oneLine(view.summary), CARD_LIMITS.description);
  return {
    ref,
    title,
    description,
    fields,
    footer,
    actions: actionsFor(view),
    taskIds: view.members.map((m) => m.task.id),
  };
}

/** Every character a card puts in an embed, for the 6000 total. */
export function cardSize(card: EscalationCard): number {
  return (
    card.title.length +
    card.description.length +
    card.footer.length +
    card.fields.reduce((sum, f) => sum + f.name.length + f.value.length, 0)
  );
}
