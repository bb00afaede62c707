import { formatDuration } from "../config/duration.js";
import type { Config } from "../config/schema.js";
import { formatEscalationId, formatTaskId } from "../core/states.js";
import { monthPeriod } from "./period.js";
import { causeLabel, plainText, resolutionText } from "./plain.js";
import type {
  CreatedRow,
  CreatedTasks,
  EndedAttempts,
  EscalationCauseRow,
  EscalationItem,
  FailedAttemptsRow,
  InterventionRow,
  OtherInterventions,
  RepeatedFailureRow,
  ReviewPeriod,
  ReviewQueries,
} from "./port.js";
import {
  DEFAULT_THRESHOLDS,
  type Suggestion,
  suggest,
  suggestionContext,
  type Thresholds,
} from "./suggestions.js";

/** Catch-all objectives read for the clustering; the count itself is always exact. */
const CATCH_ALL_SAMPLE = 2000;
/** Rerouted tasks read per A→B pair, for the terms they share. */
const REROUTE_SAMPLE = 50;
/** Escalations listed per root cause; the rest are counted. */
const ITEMS_PER_CAUSE = 5;
/** Interventions outside escalations listed; the rest are counted. */
const OTHER_INTERVENTIONS = 20;

export interface Volume {
  created: number;
  done: number;
  cancelled: number;
  escalatedOpen: number;
  active: number;
}

export interface CategoryFigures extends Volume {
  category: string;
  /** Created → done over this month's tasks that are done; null when none is. */
  toDone: { count: number; medianMs: number; p90Ms: number } | null;
  attempts: number;
  failedAttempts: number;
}

export interface ReviewDay {
  day: string;
  /** Tasks created that day, by category. */
  created: Record<string, number>;
  total: number;
  escalations: number;
}

/** The month in plain data: what the text, the JSON and the chart are made from. */
export interface Review {
  month: string;
  timeZone: string;
  /** `[start, end)` as ISO instants. */
  start: string;
  end: string;
  volume: Volume;
  categories: CategoryFigures[];
  failures: {
    failed: number;
    autoRecovered: number;
    byClass: { failureClass: string; failed: number; autoRecovered: number }[];
  };
  escalations: {
    escalations: number;
    tasks: number;
    open: number;
    byRootCause: EscalationCauseRow[];
    /** The first of each root cause, oldest first: what happened, who decided, how it ended. */
    items: EscalationItem[];
  };
  interventions: {
    total: number;
    byAction: { action: string; count: number }[];
    byActor: { actor: string; count: number; actions: Record<string, number> }[];
    /** Actions on tasks that no escalation was waiting on. */
    outsideEscalations: OtherInterventions;
  };
  anomalies: {
    fired: number;
    selfResolved: number;
    byRule: { rule: string; fired: number; resolved: number; selfResolved: number }[];
  };
  catchAll: {
    category: string;
    count: number;
    /** Of all tasks created in the month. */
    share: number;
    examples: { taskId: number; objective: string; category: string }[];
  };
  reroutes: { from: string; to: string; count: number; taskIds: number[] }[];
  /** Distinct tasks people moved to another category (the routing corrections). */
  reroutedTasks: number;
  repeatedFailures: RepeatedFailureRow[];
  daily: ReviewDay[];
  suggestions: Suggestion[];
}

export interface ReviewOptions {
  thresholds?: Thresholds;
}

/** Runs the month's queries on one snapshot and assembles the review, suggestions included. */
export function buildReview(
  queries: ReviewQueries,
  config: Config,
  month: string,
  options: ReviewOptions = {},
): Review {
  const period = monthPeriod(month, config.review.timezone ?? "UTC");
  return queries.snapshot(() => assemble(queries, config, period, options));
}

function assemble(
  queries: ReviewQueries,
  config: Config,
  period: ReviewPeriod,
  options: ReviewOptions,
): Review {
  const catchAllName = config.categories.find((category) => category.catch_all)?.name ?? "";
  const created = queries.createdTasks(period);
  const attempts = queries.endedAttempts(period);
  const catchAll = queries.catchAll(period, catchAllName, CATCH_ALL_SAMPLE);
  const reroutes = queries.reroutes(period, REROUTE_SAMPLE);
  // Beside the catch-all and the reroutes: the same operator actions, still in the page cache.
  const interventions = queries.interventions(period);
  const anomalyRows = queries.anomaliesByRule(period);
  const repeatedFailures = queries.repeatedLogicFailures(period, 2);
  const escalations = queries.escalationsByRootCause(period);
  const volume = volumeOf(created.byDay);
  return {
    month: period.month,
    timeZone: period.timeZone,
    start: new Date(period.start).toISOString(),
    end: new Date(period.end).toISOString(),
    volume,
    categories: categoryFigures(config, created, attempts),
    failures: failureFigures(attempts.failed),
    escalations: {
      escalations: sum(escalations, (row) => row.escalations),
      tasks: sum(escalations, (row) => row.tasks),
      open: sum(escalations, (row) => row.open),
      // Largest first: the cause that touched the most tasks, then the most escalations.
      byRootCause: [...escalations].sort(
        (a, b) => b.tasks - a.tasks || b.escalations - a.escalations,
      ),
      items: queries.escalationItems(period, ITEMS_PER_CAUSE),
    },
    interventions: {
      ...interventionFigures(interventions),
      outsideEscalations: queries.otherInterventions(period, OTHER_INTERVENTIONS),
    },
    anomalies: {
      fired: sum(anomalyRows, (row) => row.fired),
      selfResolved: sum(anomalyRows, (row) => row.selfResolved),
      byRule: rollUp(anomalyRows, (row) => row.rule, ["fired", "resolved", "selfResolved"]).map(
        ([rule, figures]) => ({ rule, ...figures }),
      ),
    },
    catchAll: {
      category: catchAllName,
      count: catchAll.count,
      share: volume.created === 0 ? 0 : catchAll.count / volume.created,
      examples: catchAll.tasks.slice(0, 10).map(({ taskId, objective, category }) => ({
        taskId,
        objective,
        category,
      })),
    },
    reroutes: reroutes.map(({ from, to, count, tasks }) => ({
      from,
      to,
      count,
      taskIds: tasks.slice(0, 5).map((task) => task.taskId),
    })),
    reroutedTasks: queries.reroutedTasks(period),
    repeatedFailures,
    daily: dailyFigures(period, created.byDay, queries),
    suggestions: suggest(
      { catchAll, reroutes, anomalies: anomalyRows, repeatedFailures },
      suggestionContext(config),
      options.thresholds ?? DEFAULT_THRESHOLDS,
    ),
  };
}

function sum<T>(rows: readonly T[], value: (row: T) => number): number {
  return rows.reduce((total, row) => total + value(row), 0);
}

/** Where the month's tasks are now: escalated and open, done, cancelled, or still moving. */
function volumeOf(rows: readonly CreatedRow[]): Volume {
  const volume: Volume = { created: 0, done: 0, cancelled: 0, escalatedOpen: 0, active: 0 };
  for (const row of rows) {
    volume.created += row.count;
    if (row.state === "done") volume.done += row.count;
    else if (row.state === "cancelled") volume.cancelled += row.count;
    else if (row.state === "escalated") volume.escalatedOpen += row.count;
    else volume.active += row.count;
  }
  return volume;
}

/** Sums numeric fields of rows sharing a key, keeping the first-seen order of keys. */
function rollUp<T, F extends keyof T & string>(
  rows: readonly T[],
  key: (row: T) => string,
  fields: readonly F[],
): [string, Record<F, number>][] {
  const totals = new Map<string, Record<F, number>>();
  for (const row of rows) {
    const total =
      totals.get(key(row)) ?? (Object.fromEntries(fields.map((f) => [f, 0])) as Record<F, number>);
    for (const field of fields) total[field] += Number(row[field]);
    totals.set(key(row), total);
  }
  return [...totals];
}

/** Every configured category (even idle ones, so a dead category shows), then any unknown. */
function categoryFigures(
  config: Config,
  created: CreatedTasks,
  attempts: EndedAttempts,
): CategoryFigures[] {
  const names = new Set([
    ...config.categories.map((category) => category.name),
    ...created.byDay.map((row) => row.category),
    ...attempts.byCategory.map((row) => row.category),
  ]);
  return [...names].map((category) => {
    const duration = created.toDone.find((row) => row.category === category);
    return {
      category,
      ...volumeOf(created.byDay.filter((row) => row.category === category)),
      toDone:
        duration === undefined
          ? null
          : { count: duration.count, medianMs: duration.medianMs, p90Ms: duration.p90Ms },
      attempts: attempts.byCategory.find((row) => row.category === category)?.attempts ?? 0,
      failedAttempts: sum(
        attempts.failed.filter((row) => row.category === category),
        (row) => row.failed,
      ),
    };
  });
}

/** Failed attempts by class across categories, most frequent first. */
function failureFigures(failed: readonly FailedAttemptsRow[]): Review["failures"] {
  const byClass = rollUp(failed, (row) => row.failureClass ?? "unclassified", [
    "failed",
    "autoRecovered",
  ])
    .map(([failureClass, figures]) => ({ failureClass, ...figures }))
    .sort((a, b) => b.failed - a.failed || a.failureClass.localeCompare(b.failureClass));
  return {
    failed: sum(byClass, (row) => row.failed),
    autoRecovered: sum(byClass, (row) => row.autoRecovered),
    byClass,
  };
}

function interventionFigures(
  rows: readonly InterventionRow[],
): Omit<Review["interventions"], "outsideEscalations"> {
  const byAction = rollUp(rows, (row) => row.action, ["count"]).map(([action, { count }]) => ({
    action,
    count,
  }));
  const byActor = rollUp(rows, (row) => row.actor, ["count"])
    .map(([actor, { count }]) => ({
      actor,
      count,
      actions: Object.fromEntries(
        rows.filter((row) => row.actor === actor).map((row) => [row.action, row.count]),
      ),
    }))
    .sort((a, b) => b.count - a.count || a.actor.localeCompare(b.actor));
  return { total: sum(rows, (row) => row.count), byAction, byActor };
}

/** One entry per day of the month, zeros included, so the chart has no gaps. */
function dailyFigures(
  period: ReviewPeriod,
  created: readonly CreatedRow[],
  queries: ReviewQueries,
): ReviewDay[] {
  const escalations = new Map(queries.dailyEscalations(period).map((row) => [row.day, row.count]));
  return period.days.map(({ day }) => {
    const counts: Record<string, number> = {};
    for (const row of created) {
      if (row.day === day) counts[row.category] = (counts[row.category] ?? 0) + row.count;
    }
    return {
      day,
      created: counts,
      total: Object.values(counts).reduce((total, n) => total + n, 0),
      escalations: escalations.get(day) ?? 0,
    };
  });
}

/** The `--json` form: the review as it is, durations in milliseconds. */
export function reviewToJson(review: Review): string {
  return JSON.stringify(review, null, 2);
}

// ── Text ────────────────────────────────────────────────────────────────────────────────────

/** The readable report: one section per question, figures first, suggestions last. */
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
          `${INDENT}${num(cause.escalations)}× ${oneLine(plainText(cause.summary))}`,
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

/** `E-3  T-5 T-6  retried by owner after 2h → done, done` */
function escalationLine(item: EscalationItem, timeZone: string): string {
  const tasks = ids(item.taskIds);
  const now = item.taskStates.join(", ");
  if (item.resolvedAt === null) {
    return `${formatEscalationId(item.escalationId)}  ${tasks}  open since ${localTime(item.createdAt, timeZone)} → ${now}`;
  }
  const decided =
    `${resolutionText(item.resolution ?? "resolved")} by ${item.resolvedBy ?? "system"} ` +
    `after ${formatDuration(item.resolvedAt - item.createdAt)}`;
  return `${formatEscalationId(item.escalationId)}  ${tasks}  ${decided} → ${now}`;
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
        `${INDENT}${INDENT}${formatTaskId(task.taskId)}  ${oneLine(task.objective)}` +
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
      `${INDENT}${INDENT}"${oneLine(row.example)}"`,
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

function oneLine(text: string, max = 100): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
