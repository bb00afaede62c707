import type { FilledFields } from "../../core/brief.js";
import { BRIEF_FIELD_LABELS, type BriefField } from "../../core/brief.js";
import { formatTaskId } from "../../core/states.js";
import type { RoutingTrace, Task } from "../../core/task.js";
import { describeFilled, describeMissing } from "../../intake/describe.js";
import {
  type ConsoleView,
  duration,
  field,
  isCatchAll,
  oneLine,
  rerouteTargets,
  stateLabel,
} from "./format.js";

/** What a command that filed or changed a task has to show. */
export interface CardInput {
  task: Task;
  missing: readonly BriefField[];
  routing: RoutingTrace;
  /** Fields intake filled in for the requester, and from where (a freshly filed task's). */
  filled?: FilledFields;
}

export function routingLine(routing: RoutingTrace): string {
  return `${routing.rule} (${routing.score.toFixed(2)}) — ${routing.explanation}`;
}

/** The card printed after a task is filed, answered or edited. */
export function taskCard(input: CardInput, view: ConsoleView): string {
  const { task } = input;
  const id = formatTaskId(task.id);
  return [
    `${id} · ${task.category} · ${stateLabel(task.state)}`,
    field("Objective", oneLine(task.objective || "(none yet)", 90)),
    field("Rule", oneLine(routingLine(input.routing), 200)),
    ...filledLines(input),
    ...nextLines(input, view),
  ].join("\n");
}

function nextLines(input: CardInput, view: ConsoleView): string[] {
  const { task, missing } = input;
  const id = formatTaskId(task.id);
  switch (task.state) {
    case "queued":
      return [field("Next", "a worker will pick it up")];
    case "needs_clarification":
      return [
        field("Missing", missing.length > 0 ? describeMissing(missing) : "details"),
        field("Next", `answer ${id} <${answerHint(missing)}>  (one line)`),
        field("", `edit ${id}  (field by field)`),
      ];
    case "escalated":
      return [
        field("Next", "it waits for you (details below):"),
        field("", escalationActions(task, view).join("  ·  ")),
      ];
    default:
      return [field("Next", stateLabel(task.state))];
  }
}

/** "Filled in: acceptance criteria, output format (from content's defaults)". */
function filledLines({ filled }: CardInput): string[] {
  if (filled === undefined || Object.keys(filled).length === 0) return [];
  return [field("Filled in", describeFilled(filled))];
}

/** What an unlabelled one-line answer fills: the first missing field. */
export function answerHint(missing: readonly BriefField[]): string {
  const first = missing[0];
  return first === undefined ? "the details asked for" : BRIEF_FIELD_LABELS[first].toLowerCase();
}

/** The commands that settle an escalated task, as they apply to it today. */
export function escalationActions(task: Task, view: ConsoleView): string[] {
  const id = formatTaskId(task.id);
  const catchAll = isCatchAll(view, task.category);
  const targets = rerouteTargets(view).filter((name) => name !== task.category);
  return [
    // An operator's retry of a task that fits no category is refused: reroute it instead.
    ...(catchAll ? [] : [`retry ${id}`]),
    `reroute ${id} <${targets.join("|")}>`,
    ...(catchAll || task.failureClass === "input" ? [`edit ${id}`] : []),
    `cancel ${id}`,
  ];
}

/** One short line when a task moves: `T-4 running (attempt 1)`, `T-4 done`. */
export function progressLine(task: Task, now: number): string {
  const id = formatTaskId(task.id);
  switch (task.state) {
    case "running":
      return `${id} running (attempt ${task.attempts})`;
    case "retry_wait": {
      const why = task.lastError === null ? "" : `: ${oneLine(task.lastError, 80)}`;
      const wait = task.nextRunAt - now;
      return `${id} ${wait > 0 ? `will retry in ${duration(wait)}` : "retries now"}${why}`;
    }
    default:
      return `${id} ${stateLabel(task.state)}`;
  }
}

/** After an operator's retry or reroute: where the task is now. */
export function movedLine(task: Task, verb: "retried" | "rerouted"): string {
  const where = verb === "rerouted" ? ` to ${task.category}` : "";
  const next = whatNext(task);
  return `${formatTaskId(task.id)} ${verb}${where} · ${stateLabel(task.state)}${next === undefined ? "" : ` — ${next}`}`;
}

/** What a task that was just moved waits for, when that is not plain from its state. */
export function whatNext(task: Task): string | undefined {
  switch (task.state) {
    case "queued":
      return "a worker will pick it up";
    case "needs_clarification":
      return `still missing details (answer ${formatTaskId(task.id)} <…>)`;
    default:
      return undefined;
  }
}
