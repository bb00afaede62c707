import type { APIEmbed } from "discord.js";
import { formatDuration } from "../../config/duration.js";
import type { Attempt } from "../../core/attempt.js";
import { BRIEF_FIELD_LABELS, BRIEF_FIELDS } from "../../core/brief.js";
import { attemptsHeading } from "../../core/figures.js";
import { narrowerWork, type ProcessEntry } from "../../core/processes.js";
import type { StateCount } from "../../core/states.js";
import { formatEscalationId, formatTaskId, TASK_STATES } from "../../core/states.js";
import { briefOf, type Task } from "../../core/task.js";
import type { TaskDetail } from "../../engine/engine.js";
import { type StatusSnapshot, waitingCount } from "../../engine/status.js";
import { describeMissing } from "../../intake/describe.js";
import { routingText, stateLabel, stateLine } from "./cards.js";
import { absoluteTime, clip, LIMITS, literal, oneLine, shortLiteral, who } from "./safety.js";

/** Lines joined up to `max`; what does not clip is counted, not silently dropped. */
function lines(items: string[], max: number, none = "none"): string {
  if (items.length === 0) return none;
  const kept: string[] = [];
  let length = 0;
  for (const [index, item] of items.entries()) {
    const more = `… and ${items.length - index} more`;
    if (length + item.length + 1 > max - more.length - 1) {
      kept.push(more);
      break;
    }
    kept.push(item);
    length += item.length + 1;
  }
  return kept.join("\n");
}

function tally(counts: StateCount[], key: "state" | "category"): string[] {
  const totals = new Map<string, number>();
  for (const row of counts) totals.set(row[key], (totals.get(row[key]) ?? 0) + row.count);
  const order = (name: string) => TASK_STATES.indexOf(name as Task["state"]);
  return [...totals.entries()]
    .sort(([a], [b]) => (key === "state" ? order(a) - order(b) : a.localeCompare(b)))
    .map(
      ([name, n]) =>
        `${key === "state" ? stateLabel(name as Task["state"]) : `\`${name}\``} **${n}**`,
    );
}

/** `/status`: where every task is, what is running, and what needs someone. */
export function overviewEmbed(snapshot: StatusSnapshot): APIEmbed {
  const total = snapshot.counts.reduce((sum, row) => sum + row.count, 0);
  const inFlight = snapshot.inFlight.map(
    (task) =>
      `${formatTaskId(task.id)} ${task.state} · \`${task.category}\` · attempt ${task.attempts} · ${formatDuration(Math.max(0, snapshot.now - task.stateSince))} · ${shortLiteral(task.objective, 60)}`,
  );
  // What waits on a person, the longest waiting first, with how long.
  const waited = (since: number) => `waiting ${formatDuration(Math.max(0, snapshot.now - since))}`;
  const details = snapshot.waitingForDetails.map(
    (task) =>
      `${formatTaskId(task.id)} · ${waited(task.stateSince)} · needs ${describeMissing(task.missingFields) || "details"} · ${shortLiteral(task.objective || "(no objective yet)", 80)}`,
  );
  const escalations = snapshot.escalations.map(
    (group) =>
      `${formatEscalationId(group.id)} · ${waited(group.createdAt)} · ${oneLine(group.summary)} · ${group.taskIds.map(formatTaskId).join(", ")}`,
  );
  const anomalies = snapshot.anomalies.map(
    (anomaly) => `${shortLiteral(anomaly.detail, 160)} · \`${anomaly.rule}\``,
  );
  const detailsCount = waitingCount(snapshot).details;
  const paused = snapshot.pausedWorkers.map(
    (entry) =>
      `\`${entry.worker}\`${entry.since === undefined ? "" : ` since ${absoluteTime(entry.since)}`}${entry.error ? `: ${shortLiteral(entry.error, 120)}` : ""}`,
  );
  // Host names are the machines' own, not task text, but still shown literally.
  const worksOf = (entry: ProcessEntry) => {
    const work = narrowerWork(entry, snapshot.processes.live);
    return work === undefined ? "" : ` · ${work}`;
  };
  const processes = [
    ...snapshot.processes.live.map(
      (entry) =>
        `${shortLiteral(entry.host, 60)} pid ${entry.pid} · ${entry.roles.join(", ") || "no roles"}${worksOf(entry)} · beat ${formatDuration(Math.max(0, snapshot.now - entry.heartbeatAt))} ago`,
    ),
    ...snapshot.processes.stale.map(
      (entry) =>
        `${shortLiteral(entry.host, 60)} pid ${entry.pid} · **stopped beating** ${absoluteTime(entry.heartbeatAt)}`,
    ),
  ];
  const field = (name: string, items: string[], none = "none", inline = false) => ({
    name,
    value: lines(items, 900, none),
    inline,
  });
  return {
    title: `Steward status · ${total} task${total === 1 ? "" : "s"}`,
    color: snapshot.escalations.length + snapshot.anomalies.length > 0 ? 0xe67e22 : 0x57f287,
    fields: [
      field("By state", tally(snapshot.counts, "state"), "no tasks yet", true),
      field("By category", tally(snapshot.counts, "category"), "no tasks yet", true),
      field(`In flight (${snapshot.inFlight.length})`, inFlight),
      field(`Waiting for details (${detailsCount})`, details),
      field(`Open escalations (${snapshot.escalations.length})`, escalations),
      field(`Open anomalies (${snapshot.anomalies.length})`, anomalies),
      field("Paused workers", paused, "none: every worker is taking tasks"),
      {
        name: "Outbox",
        value: `${snapshot.outboxBacklog} message(s) not yet delivered`,
      },
      field("Processes", processes, "none running"),
    ],
    timestamp: new Date(snapshot.now).toISOString(),
  };
}

function briefValue(value: string | string[], missing: boolean): string {
  const flag = missing ? " *(missing)*" : "";
  if (typeof value === "string")
    return `${value.trim() === "" ? "—" : literal(value.trim())}${flag}`;
  if (value.length === 0) return `—${flag}`;
  return value.map((item) => `• ${literal(oneLine(item))}`).join("\n") + flag;
}

function attemptLine(attempt: Attempt): string {
  const took =
    attempt.endedAt === null ? "running" : formatDuration(attempt.endedAt - attempt.startedAt);
  const failure = attempt.failureClass === null ? "" : ` (${attempt.failureClass})`;
  const error = attempt.error === null ? "" : `: ${shortLiteral(attempt.error, 140)}`;
  return `#${attempt.number} ${absoluteTime(attempt.startedAt)} · ${took} · \`${attempt.worker}\` · ${attempt.outcome}${failure}${error}`;
}

/** Timeline lines, oldest first; a long one keeps its start and its latest moves. */
function timeline(detail: TaskDetail, max: number): string {
  const all = detail.events.map(
    (event) =>
      `${absoluteTime(event.at)} ${stateLabel(event.from)} → **${stateLabel(event.to)}** · ${who(event.actor)} · ${shortLiteral(event.reason, 160)}`,
  );
  if (all.join("\n").length <= max) return all.join("\n");
  const first = all[0] ?? "";
  const latest: string[] = [];
  let length = first.length + 40;
  for (let index = all.length - 1; index >= 1; index--) {
    const line = all[index] ?? "";
    if (length + line.length + 1 > max) break;
    latest.unshift(line);
    length += line.length + 1;
  }
  const skipped = all.length - 1 - latest.length;
  return clip([first, `… ${skipped} moves not shown …`, ...latest].join("\n"), max);
}

/** `/status task:T-42`: the brief, the routing trace, attempts, and the timeline of events. */
export function taskDetailEmbeds(detail: TaskDetail): APIEmbed[] {
  const { task } = detail;
  const brief = briefOf(task);
  const briefFields = BRIEF_FIELDS.map((name) => ({
    name: BRIEF_FIELD_LABELS[name],
    value: clip(briefValue(brief[name], task.missingFields.includes(name)), 380),
  }));
  const extra = [
    { name: "Routing", value: clip(routingText(task), 500) },
    {
      name: attemptsHeading(task, detail.attempts),
      value: lines(detail.attempts.map(attemptLine), 500),
    },
    ...(task.lastError === null
      ? []
      : [{ name: "Last error", value: clip(literal(task.lastError.trim()), 300) }]),
    ...(task.output === null || task.output.trim() === ""
      ? []
      : [{ name: "Output (start)", value: clip(literal(task.output.trim()), 400) }]),
  ];
  return [
    {
      title: clip(
        `${formatTaskId(task.id)} · ${literal(oneLine(task.objective || "(no objective)"))}`,
        LIMITS.embedTitle,
      ),
      description: clip(
        `**${stateLine(task, detail.attempts)}** since ${absoluteTime(task.stateSince)}\n\`${task.category}\` · from ${who(task.requester)} via \`${task.source}\` · filed ${absoluteTime(task.createdAt)}`,
        400,
      ),
      fields: [...briefFields, ...extra],
    },
    { title: "Timeline", description: timeline(detail, 1400) },
  ];
}
