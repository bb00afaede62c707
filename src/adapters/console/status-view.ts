import { BRIEF_FIELD_LABELS, BRIEF_FIELDS, type FilledFields } from "../../core/brief.js";
import { attemptsHeading } from "../../core/figures.js";
import { narrowerWork } from "../../core/processes.js";
import type { StateCount } from "../../core/states.js";
import { formatEscalationId, formatTaskId, TASK_STATES } from "../../core/states.js";
import { briefOf, type Task, type TaskEvent } from "../../core/task.js";
import type { TaskDetail } from "../../engine/engine.js";
import { type StatusSnapshot, waitingCount } from "../../engine/status.js";
import { describeFilled, describeMissing, filledOf } from "../../intake/describe.js";
import type { ModelTokens } from "../../intake/model-usage.js";
import { idList, plainText } from "./escalation-cards.js";
import {
  attemptLine,
  duration,
  field,
  indent,
  oneLine,
  plural,
  stamp,
  stateLabel,
} from "./format.js";

export type Overview = Pick<
  StatusSnapshot,
  | "counts"
  | "inFlight"
  | "waitingForDetails"
  | "escalations"
  | "anomalies"
  | "pausedWorkers"
  | "outboxBacklog"
  | "processes"
  | "now"
>;

/** `/status`: where every task is, what is running, what is stuck. */
export function statusOverview(overview: Overview): string {
  const total = overview.counts.reduce((sum, row) => sum + row.count, 0);
  const lines = [`Steward status · ${plural(total, "task")}`];
  lines.push(field("By state", tally(overview.counts, "state", stateOrder), 14));
  lines.push(field("By category", tally(overview.counts, "category"), 14));
  lines.push(field("In flight", overview.inFlight.length === 0 ? "none" : "", 14).trimEnd());
  for (const task of overview.inFlight) lines.push(`    ${inFlightLine(task, overview.now)}`);
  lines.push(...waitingLines(overview));
  lines.push(field("Anomalies", overview.anomalies.length === 0 ? "none open" : "", 14).trimEnd());
  for (const anomaly of overview.anomalies) lines.push(`    ${oneLine(anomaly.detail, 160)}`);
  lines.push(
    field("Paused", overview.pausedWorkers.length === 0 ? "no workers" : "", 14).trimEnd(),
  );
  for (const paused of overview.pausedWorkers) {
    const since = paused.since === undefined ? "" : ` since ${stamp(paused.since)}`;
    const why = paused.error === undefined ? "" : `: ${oneLine(paused.error, 100)}`;
    lines.push(`    ${paused.worker}${since}${why}`);
  }
  lines.push(field("Outbox", `${plural(overview.outboxBacklog, "message")} not yet delivered`, 14));
  lines.push(...processLines(overview));
  return lines.join("\n");
}

/** Who runs on this database: each process beating, and those that stopped without closing. */
function processLines({ processes, now }: Pick<Overview, "processes" | "now">): string[] {
  const { live, stale } = processes;
  if (live.length + stale.length === 0) return [field("Processes", "none running", 14)];
  const lines = [field("Processes", "", 14).trimEnd()];
  // One version and one config file are the rule, said by nothing; hosts left on another are named.
  const mixed = new Set(live.map((entry) => entry.version)).size > 1;
  const mixedConfig = new Set(live.map((entry) => entry.config)).size > 1;
  for (const entry of live) {
    const roles = entry.roles.length === 0 ? "no roles" : entry.roles.join(", ");
    const work = narrowerWork(entry, live);
    const version = mixed ? ` · ${versionOf(entry.version)}` : "";
    const config = mixedConfig
      ? ` · config ${entry.config === "" ? "not known" : entry.config}`
      : "";
    lines.push(
      `    ${entry.host} pid ${entry.pid}${version}${config} · ${roles}` +
        (work === undefined ? "" : ` · ${work}`) +
        ` · up ${duration(now - entry.startedAt)} · beat ${duration(now - entry.heartbeatAt)} ago`,
    );
  }
  if (mixed) lines.push("    not all on one version of Steward: run the same on every host");
  if (mixedConfig)
    lines.push(
      "    not all on one config file: give every host the same steward.yaml (and corpus)",
    );
  for (const entry of stale) {
    lines.push(
      `    ${entry.host} pid ${entry.pid} · stopped beating ${duration(now - entry.heartbeatAt)}` +
        " ago without closing (crashed, or cut off)",
    );
  }
  return lines;
}

/** A row written before processes said their version has none. */
function versionOf(version: string): string {
  return version === "" ? "an earlier version" : `v${version}`;
}

const stateOrder = (a: string, b: string) =>
  TASK_STATES.indexOf(a as Task["state"]) - TASK_STATES.indexOf(b as Task["state"]);

function tally(
  counts: StateCount[],
  key: "state" | "category",
  order: (a: string, b: string) => number = (a, b) => a.localeCompare(b),
): string {
  const totals = new Map<string, number>();
  for (const row of counts) totals.set(row[key], (totals.get(row[key]) ?? 0) + row.count);
  if (totals.size === 0) return "none";
  return [...totals.entries()]
    .sort(([a], [b]) => order(a, b))
    .map(([name, n]) => `${key === "state" ? stateLabel(name as Task["state"]) : name} ${n}`)
    .join(" · ");
}

/** What waits on a person: details to give, decisions to make, the longest waiting first. */
function waitingLines(overview: Overview): string[] {
  const { waitingForDetails: details, escalations, now } = overview;
  const waited = (since: number) => `waiting ${duration(Math.max(0, now - since))}`;
  const details_ = details.map(
    (task) =>
      `    ${formatTaskId(task.id)} · ${waited(task.stateSince)} · needs ${describeMissing(task.missingFields) || "details"} · ${oneLine(task.objective || "(no objective yet)", 60)}`,
  );
  const decisions = escalations.map(
    (group) =>
      `    ${formatEscalationId(group.id)} · ${waited(group.createdAt)} · ${oneLine(plainText(group.summary), 100)} · ${idList(group.taskIds)}`,
  );
  const heading = (label: string, count: number) =>
    count === 0 ? `  ${label}: none` : `  ${label} (${count}, oldest first)`;
  const total = waitingCount(overview).details;
  return [
    heading("Waiting for details", total),
    ...details_,
    ...(total > details.length ? [`    … and ${total - details.length} more`] : []),
    heading("Escalations", escalations.length),
    ...decisions,
  ];
}

function inFlightLine(task: Task, now: number): string {
  return (
    `${formatTaskId(task.id)} ${task.state} · ${task.category} · attempt ${task.attempts}` +
    ` · ${duration(now - task.stateSince)} · ${oneLine(task.objective, 60)}`
  );
}

/** `/status T-4`: the brief, the routing trace, the attempts, the timeline and the output. */
export function statusDetail(detail: TaskDetail): string {
  const { task } = detail;
  return [
    `${formatTaskId(task.id)} · ${task.category} · ${stateLabel(task.state)} since ${stamp(task.stateSince)}`,
    `  from ${oneLine(task.requester, 80)} via ${task.source}, filed ${stamp(task.createdAt)}`,
    ...briefLines(task, filledOf(detail.events)),
    ...routingLines(task),
    ...tokenLines(detail.events),
    attemptsHeading(task, detail.attempts),
    ...(detail.attempts.length === 0
      ? ["  none"]
      : detail.attempts.map((attempt) => `  ${attemptLine(attempt)}`)),
    "Timeline",
    ...detail.events.map(
      (event) =>
        `  ${stamp(event.at)}  ${event.from} → ${event.to}  by ${oneLine(event.actor, 80)} — ${oneLine(event.reason, 160)}`,
    ),
    ...outputLines(task),
  ].join("\n");
}

function briefLines(task: Task, filled: FilledFields): string[] {
  const brief = briefOf(task);
  const lines = ["Brief"];
  for (const name of BRIEF_FIELDS) {
    const value = brief[name];
    const label = BRIEF_FIELD_LABELS[name];
    const missing = task.missingFields.includes(name) ? "  (missing)" : "";
    if (typeof value === "string") {
      lines.push(field(label, `${value.trim() === "" ? "—" : oneLine(value, 200)}${missing}`, 21));
    } else if (value.length === 0) {
      lines.push(field(label, `—${missing}`, 21));
    } else {
      lines.push(field(label, `- ${oneLine(value[0]!, 180)}`, 21));
      for (const item of value.slice(1)) lines.push(`${" ".repeat(23)}- ${oneLine(item, 180)}`);
    }
  }
  if (Object.keys(filled).length > 0) {
    lines.push(field("Filled in", oneLine(describeFilled(filled), 200), 21));
  }
  if (task.feedback.length > 0) {
    lines.push(field("Reviewer feedback", oneLine(task.feedback.join("; "), 200), 21));
  }
  return lines;
}

function routingLines(task: Task): string[] {
  const { routing } = task;
  const runnerUp = routing.runner_up
    ? `${routing.runner_up.category} (${routing.runner_up.score.toFixed(2)})`
    : "none";
  return [
    "Routing",
    field("Category", `${routing.category} (${routing.classifier} classifier)`, 12),
    field("Rule", `${routing.rule}, score ${routing.score.toFixed(2)}`, 12),
    field("Runner-up", runnerUp, 12),
    field("Why", oneLine(routing.explanation, 200), 12),
    ...(routing.fallback ? [field("Fallback", oneLine(routing.fallback, 200), 12)] : []),
  ];
}

/** The tokens the models used reading and routing the request, kept on its intake event. */
function tokenLines(events: readonly TaskEvent[]): string[] {
  const tokens = events.find((event) => event.data?.tokens !== undefined)?.data?.tokens as
    | ModelTokens
    | undefined;
  if (tokens === undefined) return [];
  const asked = [
    ["intake agent", tokens.agent],
    ["llm classifier", tokens.classifier],
  ] as const;
  const parts = asked.flatMap(([who, usage]) =>
    usage === undefined
      ? []
      : [`${who} ${usage.prompt.toLocaleString("en")} prompt + ${usage.completion} completion`],
  );
  return parts.length === 0 ? [] : [field("Tokens", parts.join(" · "), 12)];
}

function outputLines(task: Task): string[] {
  const lines: string[] = [];
  if (task.lastError !== null) {
    lines.push(`Last error${task.failureClass ? ` (${task.failureClass})` : ""}`);
    lines.push(indent(task.lastError.trim()));
  }
  if (task.output !== null && task.output.trim() !== "") {
    lines.push("Output", indent(task.output.trim()));
  }
  return lines;
}

/** Said at start-up when anything waits on a person: how many, and where to see them. */
export function waitingNotice(waiting: {
  details: number;
  escalations: number;
}): string | undefined {
  const parts = [
    ...(waiting.details > 0
      ? [`${plural(waiting.details, "task")} ${waiting.details === 1 ? "needs" : "need"} details`]
      : []),
    ...(waiting.escalations > 0
      ? [
          `${plural(waiting.escalations, "escalation")} ${waiting.escalations === 1 ? "waits" : "wait"} for a decision`,
        ]
      : []),
  ];
  if (parts.length === 0) return undefined;
  return `Waiting on you: ${parts.join(", ")} (status lists them, oldest first).`;
}
