import type { APIEmbed } from "discord.js";
import { formatDuration } from "../../config/duration.js";
import type { Config } from "../../config/schema.js";
import type { Attempt } from "../../core/attempt.js";
import { describeDestination, destinationOf } from "../../core/destination.js";
import { attemptCounts, timeTaken } from "../../core/figures.js";
import { formatTaskId, type TaskState } from "../../core/states.js";
import type { Task, TaskEvent } from "../../core/task.js";
import { describeFilled, describeMissing, filledOf } from "../../intake/describe.js";
import { clip, LIMITS, literal, oneLine, relativeTime, shortLiteral, who } from "./safety.js";

const COLORS: Record<TaskState, number> = {
  intake: 0x99aab5,
  needs_clarification: 0xfee75c,
  queued: 0x5865f2,
  running: 0x3498db,
  reviewing: 0x9b59b6,
  retry_wait: 0xe67e22,
  escalated: 0xed4245,
  done: 0x57f287,
  cancelled: 0x747f8d,
};

const STATE_LABELS: Partial<Record<TaskState, string>> = {
  needs_clarification: "needs details",
  retry_wait: "waiting to retry",
};

export function stateLabel(state: TaskState): string {
  return STATE_LABELS[state] ?? state;
}

/**
 * The state with its attempt and wait: `running · attempt 2 of 3`. Given the task's attempts,
 * the runs that met its worker down (probes) are left out of the count.
 */
export function stateLine(
  task: Task,
  attempts: readonly { failureClass: string | null }[] = [],
): string {
  const counts = attemptCounts(task, attempts);
  const attempt = `attempt ${counts.attempts} of ${counts.maxAttempts}`;
  switch (task.state) {
    case "queued":
      return counts.attempts > 0 ? `queued · ${counts.attempts} attempt(s) so far` : "queued";
    case "running":
    case "reviewing":
      return `${task.state} · ${attempt}`;
    case "retry_wait":
      return `waiting to retry · ${attempt} failed · next try ${relativeTime(task.nextRunAt)}`;
    case "done":
      return `done · ${counts.attempts === 1 ? "first attempt" : `${counts.attempts} attempts`}`;
    default:
      return stateLabel(task.state);
  }
}

/** What happens next, in one or two sentences a requester can act on. */
export function nextStep(task: Task, config: Config, events?: readonly TaskEvent[]): string {
  const category = config.categories.find((entry) => entry.name === task.category);
  const worker = category?.worker === undefined ? "a worker" : `\`${category.worker}\``;
  const escalations = config.discord.channels.escalations;
  const where = escalations === "" ? "the escalations channel" : `<#${escalations}>`;
  switch (task.state) {
    case "needs_clarification":
      return `It needs ${describeMissing(task.missingFields) || "more details"} before it can run: press **Add details** in the thread.`;
    case "queued":
      return `${worker} picks it up next.`;
    case "running":
      return `${worker} is working on it.`;
    case "reviewing":
      return "The output is being checked against the acceptance criteria.";
    case "retry_wait": {
      const why =
        task.lastError === null ? "" : ` Last error: ${shortLiteral(task.lastError, 300)}`;
      return `Steward retries it ${relativeTime(task.nextRunAt)}.${why}`;
    }
    case "escalated":
      return category?.catch_all
        ? `No category fits it: an operator decides in ${where}.`
        : `It waits for an operator's decision in ${where}.`;
    case "done": {
      // Without the timeline (a card first posted when done), the whole span is all there is.
      const took = formatDuration(timeTaken(task, events ?? []));
      const destination = destinationOf(task.outputFormat);
      const where =
        destination.kind === "reply"
          ? "is posted below"
          : `goes to ${describeDestination(destination)}`;
      const next = task.nextId === null ? "" : ` Next step: ${formatTaskId(task.nextId)}.`;
      return `Finished in ${took}; the output ${where}.${next}`;
    }
    case "cancelled":
      return "Cancelled: nothing more will happen.";
    default:
      return stateLabel(task.state);
  }
}

export function routingText(task: Task): string {
  const { routing } = task;
  const runnerUp = routing.runner_up
    ? ` · runner-up \`${routing.runner_up.category}\` (${routing.runner_up.score.toFixed(2)})`
    : "";
  return clip(
    `rule \`${routing.rule}\` (score ${routing.score.toFixed(2)}${runnerUp}): ${literal(oneLine(routing.explanation))}`,
    LIMITS.fieldValue,
  );
}

/** `queued → running #1 → reviewing → done`: the moves so far, newest last. */
export function progressTrail(events: readonly TaskEvent[]): string {
  let attempt = 0;
  const steps = events.map((event) => {
    if (event.to === "running") attempt++;
    return event.to === "running" ? `running #${attempt}` : stateLabel(event.to);
  });
  const shown = steps.length > 12 ? ["…", ...steps.slice(-11)] : steps;
  return clip(shown.join(" → "), LIMITS.fieldValue);
}

/** The task card: id, category and the rule that decided, state, and what happens next. */
export function taskCard(
  task: Task,
  config: Config,
  history?: { events: readonly TaskEvent[]; attempts: readonly Attempt[] },
): APIEmbed {
  const events = history?.events;
  const id = formatTaskId(task.id);
  const objective = task.objective.trim() === "" ? "(no objective yet)" : task.objective;
  const fields = [
    { name: "Category", value: `\`${task.category}\``, inline: true },
    {
      name: "State",
      value: clip(stateLine(task, history?.attempts), LIMITS.fieldValue),
      inline: true,
    },
    { name: "Requested by", value: clip(who(task.requester), LIMITS.fieldValue), inline: true },
    { name: "Routing", value: routingText(task) },
    ...filledField(events),
    ...(events && events.length > 1 ? [{ name: "Progress", value: progressTrail(events) }] : []),
    { name: "Next", value: clip(nextStep(task, config, events), LIMITS.fieldValue) },
  ];
  return {
    title: clip(`${id} · ${literal(oneLine(objective))}`, LIMITS.embedTitle),
    color: COLORS[task.state],
    fields,
    footer: { text: `${id} · /status task:${id} shows the brief and the whole timeline` },
    timestamp: new Date(task.createdAt).toISOString(),
  };
}

/** The fields intake filled in for the requester, and from where, so they can be corrected. */
function filledField(events: readonly TaskEvent[] | undefined): NonNullable<APIEmbed["fields"]> {
  const filled = events === undefined ? {} : filledOf(events);
  if (Object.keys(filled).length === 0) return [];
  return [{ name: "Filled in", value: clip(literal(describeFilled(filled)), LIMITS.fieldValue) }];
}

/** Changes a reader would notice; an edit that would not change these is skipped. */
export function cardKey(task: Task): string {
  return `${task.state}:${task.attempts}:${task.category}:${task.nextRunAt}:${task.nextId}`;
}
