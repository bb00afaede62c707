import type { Config } from "../config/schema.js";
import { monthPeriod } from "./period.js";
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
  suggestionContext,
  type Thresholds,
} from "./suggestions/suggestion.js";
import { suggest } from "./suggestions.js";

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
  queries: ReviewQueries<"async">,
  config: Config,
  month: string,
  options: ReviewOptions = {},
): Promise<Review> {
  const period = monthPeriod(month, config.review.timezone ?? "UTC");
  return queries.snapshot(() => assemble(queries, config, period, options));
}

async function assemble(
  queries: ReviewQueries<"async">,
  config: Config,
  period: ReviewPeriod,
  options: ReviewOptions,
): Promise<Review> {
  const catchAllName = config.categories.find((category) => category.catch_all)?.name ?? "";
  const created = await queries.createdTasks(period);
  const attempts = await queries.endedAttempts(period);
  const catchAll = await queries.catchAll(period, catchAllName, CATCH_ALL_SAMPLE);
  const reroutes = await queries.reroutes(period, REROUTE_SAMPLE);
  // Beside the catch-all and the reroutes: the same operator actions, still in the page cache.
  const interventions = await queries.interventions(period);
  const anomalyRows = await queries.anomaliesByRule(period);
  const repeatedFailures = await queries.repeatedLogicFailures(period, 2);
  const escalations = await queries.escalationsByRootCause(period);
  const items = await queries.escalationItems(period, ITEMS_PER_CAUSE);
  const outsideEscalations = await queries.otherInterventions(period, OTHER_INTERVENTIONS);
  const reroutedTasks = await queries.reroutedTasks(period);
  const dailyEscalations = await queries.dailyEscalations(period);
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
      items,
    },
    interventions: {
      ...interventionFigures(interventions),
      outsideEscalations,
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
    reroutedTasks,
    repeatedFailures,
    daily: dailyFigures(period, created.byDay, dailyEscalations),
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
  daily: readonly { day: string; count: number }[],
): ReviewDay[] {
  const escalations = new Map(daily.map((row) => [row.day, row.count]));
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
