import { formatDuration } from "../config/duration.js";
import { oneLine } from "../core/one-line.js";
import { formatEscalationId, formatTaskId } from "../core/states.js";
import { causeLabel, plainText, resolutionText } from "./plain.js";
import type { EscalationItem, OtherInterventions } from "./port.js";
import type { Review } from "./report.js";

/**
 * The review as a person reads it (a terminal, a file, a code block in Discord): one section
 * per question, figures first, suggestions last. Plain text: no markdown, no internal keys.
 */
export function renderReviewText(review: Review): string {
  const sections = [
    header(review),
    volumeSection(review),
    failureSection(review),
    escalationSection(review),
    interventionSection(review),
    anomalySection(review),
    catchAllSection(review),
    rerouteSection(review),
    repeatedFailureSection(review),
    suggestionSection(review),
  ];
  return `${sections.map((lines) => lines.join("\n")).join("\n\n")}\n`;
}

const INDENT = "  ";
/** Longest quoted line (a summary, an objective, an example) before it is cut. */
const LINE = 100;
/** Longer lists are cut in the text; `--json` has them all. */
const TEXT_LIST_LIMIT = 10;

function header(review: Review): string[] {
  const lastDay = new Date(Date.parse(review.end) - 1).toISOString().slice(0, 10);
  return [
    `Steward review: ${review.month} (${review.timeZone})`,
    `${review.start.slice(0, 10)} to ${lastDay}; tasks are those created in the month`,
  ];
}

/** 12,345 */
function num(value: number): string {
  return value.toLocaleString("en-US");
}

function count(value: number, noun: string, plural = `${noun}s`): string {
  return `${num(value)} ${value === 1 ? noun : plural}`;
}

function percent(part: number, whole: number): string {
  return whole === 0 ? "0%" : `${Math.round((part / whole) * 100)}%`;
}

function ids(taskIds: readonly number[]): string {
  return taskIds.map(formatTaskId).join(" ");
}

/** The first items of a list, and a line saying how many more the JSON has. */
function capped<T>(items: readonly T[], render: (item: T) => string[], noun = ""): string[] {
  const shown = items.slice(0, TEXT_LIST_LIMIT).flatMap(render);
  const more = items.length - TEXT_LIST_LIMIT;
  const what = noun === "" ? "" : ` ${noun}`;
  return more > 0 ? [...shown, `${INDENT}… and ${more} more${what} (see --json)`] : shown;
}

/** `2026-11-03 10:00` on the review's calendar. */
function localTime(instant: number, timeZone: string): string {
  return new Intl.DateTimeFormat("sv-SE", { timeZone, dateStyle: "short", timeStyle: "short" })
    .format(instant)
    .replace(",", "");
}

/** Left-aligned first column, right-aligned others. */
function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = head.map((cell, index) =>
    Math.max(cell.length, ...rows.map((row) => (row[index] ?? "").length)),
  );
  const line = (row: readonly string[]) =>
    INDENT +
    row
      .map((cell, index) =>
        index === 0 ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0),
      )
      .join("  ")
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

function volumeSection(review: Review): string[] {
  const { volume } = review;
  const rows = review.categories.map((category) => [
    category.category,
    num(category.created),
    num(category.done),
    num(category.cancelled),
    num(category.escalatedOpen),
    num(category.active),
    category.toDone === null ? "-" : formatDuration(category.toDone.medianMs),
    category.toDone === null ? "-" : formatDuration(category.toDone.p90Ms),
    category.attempts === 0
      ? "-"
      : `${num(category.failedAttempts)} of ${num(category.attempts)} ` +
        `(${percent(category.failedAttempts, category.attempts)})`,
  ]);
  return [
    "VOLUME",
    `${INDENT}${count(volume.created, "task")} created: ${num(volume.done)} done, ` +
      `${num(volume.cancelled)} cancelled, ${num(volume.escalatedOpen)} escalated and open, ` +
      `${num(volume.active)} still active`,
    "",
    ...table(
      [
        "category",
        "created",
        "done",
        "cancelled",
        "escalated",
        "active",
        "median",
        "p90",
        "failed",
      ],
      rows,
    ),
    `${INDENT}median, p90: created → done; failed: attempts that failed, of those that ended`,
  ];
}

function failureSection(review: Review): string[] {
  const { failures } = review;
  if (failures.failed === 0) return ["FAILURES", `${INDENT}No failed attempts.`];
  return [
    "FAILURES",
    `${INDENT}${count(failures.failed, "failed attempt")}, ${num(failures.autoRecovered)} ` +
      `recovered without anyone acting (${percent(failures.autoRecovered, failures.failed)})`,
    "",
    ...table(
      ["class", "failed", "auto-recovered"],
      failures.byClass.map((row) => [
        row.failureClass,
        num(row.failed),
        `${num(row.autoRecovered)} (${percent(row.autoRecovered, row.failed)})`,
      ]),
    ),
  ];
}

/**
 * Each root cause, largest first: its figures, then its escalations one per line (what
 * happened, who decided, how long it waited, how it ended), so each can be checked.
 */
function escalationSection(review: Review): string[] {
  const { escalations } = review;
  if (escalations.escalations === 0) return ["ESCALATIONS", `${INDENT}None.`];
  return [
    "ESCALATIONS",
    `${INDENT}${count(escalations.escalations, "escalation")} covering ` +
      `${count(escalations.tasks, "task")}; ${num(escalations.open)} still open`,
    ...capped(
      escalations.byRootCause,
      (cause) => {
        const resolved = Object.entries(cause.resolutions)
          .map(([resolution, n]) => `${resolutionText(resolution)} ${num(n)}`)
          .join(", ");
        const median =
          cause.medianResolutionMs === null
            ? ""
            : `; median ${formatDuration(cause.medianResolutionMs)} to resolve`;
        const open = cause.open > 0 ? `; ${num(cause.open)} open` : "";
        const items = escalations.items.filter((item) => item.rootCause === cause.rootCause);
        const unlisted = cause.escalations - items.length;
        return [
          "",
          `${INDENT}${num(cause.escalations)}× ${oneLine(plainText(cause.summary), LINE)}`,
          `${INDENT}${INDENT}${causeLabel(cause)}; ${count(cause.tasks, "task")}; ` +
            `${resolved || "none resolved"}${open}${median}`,
          ...items.map((item) => `${INDENT}${INDENT}${escalationLine(item, review.timeZone)}`),
          ...(unlisted > 0 ? [`${INDENT}${INDENT}… and ${num(unlisted)} more`] : []),
        ];
      },
      "root causes",
    ),
  ];
}

/** Task ids shown on one escalation's line; a big group says how many more. */
const IDS_PER_LINE = 5;

/** `E-3  T-5 T-6  retried by owner after 2h → 2 done` */
function escalationLine(item: EscalationItem, timeZone: string): string {
  const more = item.taskIds.length - IDS_PER_LINE;
  const tasks = `${ids(item.taskIds.slice(0, IDS_PER_LINE))}${more > 0 ? ` +${more}` : ""}`;
  const now = statesNow(item.taskStates);
  const what =
    item.resolvedAt === null
      ? `open since ${localTime(item.createdAt, timeZone)}`
      : `${resolutionText(item.resolution ?? "resolved")} by ${item.resolvedBy ?? "system"} ` +
        `after ${formatDuration(item.resolvedAt - item.createdAt)}`;
  return `${formatEscalationId(item.escalationId)}  ${tasks}  ${what} → ${now}`;
}

/** Where a group's tasks are now: `done` for one, `2 done, 1 cancelled` for several. */
function statesNow(states: readonly string[]): string {
  if (states.length === 1) return states[0] ?? "";
  const counts = new Map<string, number>();
  for (const state of states) counts.set(state, (counts.get(state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${num(n)} ${state}`).join(", ");
}

function interventionSection(review: Review): string[] {
  const { interventions } = review;
  if (interventions.total === 0) return ["MANUAL INTERVENTIONS", `${INDENT}None.`];
  const actions = (record: Record<string, number>) =>
    Object.entries(record)
      .map(([action, n]) => `${action} ${num(n)}`)
      .join(", ");
  return [
    "MANUAL INTERVENTIONS",
    `${INDENT}${count(interventions.total, "action")}: ` +
      interventions.byAction.map((row) => `${row.action} ${num(row.count)}`).join(", "),
    "",
    ...table(
      ["by", "actions", "what"],
      interventions.byActor
        .slice(0, TEXT_LIST_LIMIT)
        .map((row) => [row.actor, num(row.count), actions(row.actions)]),
    ),
    ...outsideEscalations(interventions.outsideEscalations, review.timeZone),
  ];
}

/** The actions no escalation asked for; those it did are listed under their escalation. */
function outsideEscalations(other: OtherInterventions, timeZone: string): string[] {
  if (other.count === 0) return [];
  const shown = other.items.slice(0, TEXT_LIST_LIMIT);
  const more = other.count - shown.length;
  return [
    "",
    `${INDENT}Without an escalation (${num(other.count)}):`,
    ...shown.map((item) => {
      const move = item.action === "reroute" ? ` ${item.from ?? "?"} → ${item.to ?? "?"}` : "";
      return (
        `${INDENT}${INDENT}${formatTaskId(item.taskId)}  ${item.action}${move} by ${item.actor}, ` +
        `${localTime(item.at, timeZone)} → ${item.state}`
      );
    }),
    ...(more > 0 ? [`${INDENT}${INDENT}… and ${num(more)} more`] : []),
  ];
}

function anomalySection(review: Review): string[] {
  const { anomalies } = review;
  if (anomalies.fired === 0) return ["ANOMALIES", `${INDENT}None.`];
  return [
    "ANOMALIES",
    `${INDENT}${count(anomalies.fired, "anomaly", "anomalies")}, ` +
      `${num(anomalies.selfResolved)} resolved themselves (nobody acted)`,
    "",
    ...table(
      ["rule", "fired", "resolved", "by themselves", "open"],
      anomalies.byRule.map((row) => [
        row.rule,
        num(row.fired),
        num(row.resolved),
        num(row.selfResolved),
        num(row.fired - row.resolved),
      ]),
    ),
  ];
}

function catchAllSection(review: Review): string[] {
  const { catchAll } = review;
  const title = `CATCH-ALL (${catchAll.category})`;
  if (catchAll.count === 0) return [title, `${INDENT}No task fell through to the catch-all.`];
  return [
    title,
    `${INDENT}${count(catchAll.count, "task")} ` +
      `(${percent(catchAll.count, review.volume.created)} ` +
      "of all), for example:",
    ...catchAll.examples.map(
      (task) =>
        `${INDENT}${INDENT}${formatTaskId(task.taskId)}  ${oneLine(task.objective, LINE)}` +
        (task.category === catchAll.category ? "" : `  (rerouted to ${task.category})`),
    ),
  ];
}

/** Where people moved work the router had sent elsewhere, from the recorded reroutes. */
function rerouteSection(review: Review): string[] {
  const title = "ROUTING CORRECTIONS";
  if (review.reroutes.length === 0) return [title, `${INDENT}No task was rerouted.`];
  return [
    title,
    `${INDENT}${count(review.reroutedTasks, "task")} rerouted by people:`,
    ...table(
      ["from → to", "count", "for example"],
      review.reroutes
        .slice(0, TEXT_LIST_LIMIT)
        .map((row) => [`${row.from} → ${row.to}`, num(row.count), ids(row.taskIds)]),
    ),
  ];
}

function repeatedFailureSection(review: Review): string[] {
  if (review.repeatedFailures.length === 0) {
    return ["REPEATED LOGIC FAILURES", `${INDENT}None.`];
  }
  return [
    "REPEATED LOGIC FAILURES",
    ...capped(review.repeatedFailures, (row) => [
      `${INDENT}${row.worker}: ${num(row.count)}× over ${count(row.tasks, "task")} ` +
        `(${ids(row.taskIds)})`,
      `${INDENT}${INDENT}"${oneLine(row.example, LINE)}"`,
    ]),
  ];
}

function suggestionSection(review: Review): string[] {
  if (review.suggestions.length === 0) {
    return ["SUGGESTIONS", `${INDENT}None this month: nothing crossed a threshold.`];
  }
  return [
    "SUGGESTIONS",
    ...review.suggestions.flatMap((suggestion, index) => [
      ...(index === 0 ? [] : [""]),
      `${INDENT}${index + 1}. ${suggestion.title}`,
      `${INDENT}   ${suggestion.proposal}`,
      `${INDENT}   Evidence: ${suggestion.evidence.summary}`,
      ...(suggestion.evidence.taskIds.length > 0
        ? [`${INDENT}   Tasks: ${ids(suggestion.evidence.taskIds)}`]
        : []),
      ...suggestion.evidence.quotes.map((text) => `${INDENT}     "${text}"`),
    ]),
  ];
}
