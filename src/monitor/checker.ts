import type { Config } from "../config/schema.js";
import type { Logger } from "../core/log.js";
import type { Outbox } from "../core/outbox.js";
import { type ProcessRegistry, STALE_AFTER_MS } from "../core/processes.js";
import { DEFAULT_STAY_HISTORY, StayHistory, type StayHistoryOptions } from "./history.js";
import {
  type Finding,
  type MonitorSnapshot,
  type PerCategoryState,
  RULES,
  type RuleId,
  type RuleSettings,
  type StayStats,
  stallCutoffs,
} from "./rules.js";
import type { MonitorStore, OpenAnomaly, Problems, Read } from "./store.js";

/** Tunables that are not (yet) config; the defaults are the checker README.md describes. */
export interface CheckerSettings {
  minSamples: number;
  medianFloorMs: number;
  pipelineGraceMs: number;
  deliveryGraceMs: number;
  history: StayHistoryOptions;
}

export const DEFAULT_CHECKER_SETTINGS: CheckerSettings = {
  minSamples: 20,
  medianFloorMs: 60_000,
  pipelineGraceMs: 60_000,
  deliveryGraceMs: 600_000,
  history: DEFAULT_STAY_HISTORY,
};

export interface CheckerDeps {
  config: Config;
  queries: MonitorStore<"async">;
  /** On the same store as `queries`: messages commit with the anomalies. */
  outbox: Outbox<"async">;
  /** Who runs on the database, for the config-drift rule. */
  processes: Pick<ProcessRegistry<"async">, "list">;
  /** Median samples carried between runs; without it each run reads its history afresh. */
  history?: StayHistory;
  logger?: Logger;
  settings?: Partial<CheckerSettings>;
}

export interface CheckSummary {
  durationMs: number;
  /** New anomalies recorded by this run. */
  raised: number;
  /** Open anomalies this run closed because their condition cleared. */
  resolved: number;
  /** Anomalies open after this run. */
  open: number;
  /** Reminders sent for unanswered escalations. */
  reminded: number;
  /** Rows that could not be read and rules that could not run; nothing here stopped the run. */
  problems: string[];
}

/** What the rules look at, and the rules whose data was cut short or could not be read. */
interface Gathered {
  snapshot: MonitorSnapshot;
  partial: Set<RuleId>;
}

/** The writes one run makes; worked out purely, applied in one transaction. */
export interface Reconciliation {
  raise: Finding[];
  resolve: number[];
}

/**
 * One run of the status checker: every rule over freshly read data, then in one transaction
 * the new anomalies, the cleared ones closed, the reminders, and one outbox message listing
 * what is new. A bad row or a failing rule is reported in `problems`, never thrown; a rule
 * that did not see all its data keeps its open anomalies open.
 */
export async function runChecks(deps: CheckerDeps, now: number): Promise<CheckSummary> {
  const started = performance.now();
  const problems: Problems = [];
  const settings = { ...DEFAULT_CHECKER_SETTINGS, ...deps.settings };
  const { snapshot, partial } = await gather(deps, settings, now, problems);
  const findings = evaluate(snapshot, now, partial, problems);
  const open = await deps.queries.openAnomalies();
  const plan = reconcile(open, findings, partial);
  const { raised, reminded } = await deps.queries.transaction(() =>
    apply(deps, plan, findings, now),
  );
  const summary: CheckSummary = {
    durationMs: performance.now() - started,
    raised: raised.length,
    resolved: plan.resolve.length,
    open: open.length - plan.resolve.length + raised.length,
    reminded,
    problems,
  };
  report(deps.logger, summary);
  return summary;
}

/**
 * New findings (no open anomaly with the same rule and subject) are raised; open anomalies
 * nobody found again are resolved, except for rules in `keepOpen` (they did not see all
 * their data this run, so "not found" does not mean "cleared").
 */
export function reconcile(
  open: readonly Pick<OpenAnomaly, "id" | "rule" | "subject">[],
  findings: readonly Finding[],
  keepOpen: ReadonlySet<string>,
): Reconciliation {
  // rule → subjects; nested maps rather than joined keys: thousands of these per run.
  const openByRule = new Map<string, Map<string, number>>();
  for (const anomaly of open) {
    const subjects = openByRule.get(anomaly.rule) ?? new Map<string, number>();
    subjects.set(anomaly.subject, anomaly.id);
    openByRule.set(anomaly.rule, subjects);
  }
  const raise: Finding[] = [];
  const still = new Set<number>();
  for (const finding of findings) {
    const id = openByRule.get(finding.rule)?.get(finding.subject);
    if (id !== undefined) {
      still.add(id);
    } else {
      raise.push(finding);
      // A second finding with the same key in this run is the same anomaly.
      const subjects = openByRule.get(finding.rule) ?? new Map<string, number>();
      subjects.set(finding.subject, -1);
      openByRule.set(finding.rule, subjects);
    }
  }
  const resolve = open
    .filter((anomaly) => !keepOpen.has(anomaly.rule) && !still.has(anomaly.id))
    .map((anomaly) => anomaly.id);
  return { raise, resolve };
}

async function gather(
  deps: CheckerDeps,
  settings: CheckerSettings,
  now: number,
  problems: Problems,
): Promise<Gathered> {
  const { config, queries } = deps;
  const partial = new Set<RuleId>();
  const ruleSettings = rulesSettingsOf(config, settings);
  const limits = stallLimitsOf(config);
  const pipelines = pipelinesOf(config);
  const medians = await attempt(problems, "stay history", async () => {
    const history = deps.history ?? new StayHistory(settings.history);
    await history.refresh((state, after, limit) => queries.stays(state, after, limit, problems));
    return history.stats();
  });
  if (medians === undefined) partial.add("stalled.median");
  const safeMedians: PerCategoryState<StayStats> = medians ?? {};

  const stalled = await collect(
    problems,
    "stalled tasks",
    ["stalled.threshold", "stalled.median"],
    partial,
    () =>
      stallCutoffs(limits, safeMedians, ruleSettings, now).map((cutoff) =>
        queries.stalled(cutoff.state, cutoff.category, cutoff.before, problems),
      ),
  );
  const retrying = await collect(
    problems,
    "retries",
    ["retries.exhausted", "retries.approaching"],
    partial,
    () => [queries.retrying(problems)],
  );
  const missingNext = await collect(problems, "pipelines", ["pipeline.missing_next"], partial, () =>
    Object.keys(pipelines).map((category) =>
      queries.missingNext(category, now - settings.pipelineGraceMs, problems),
    ),
  );
  const undelivered = await collect(problems, "deliveries", ["delivery.missing"], partial, () => [
    queries.undelivered(now - settings.deliveryGraceMs, problems),
  ]);
  const escalations = await collect(
    problems,
    "escalations",
    ["escalation.unanswered"],
    partial,
    () => [queries.unanswered(now - ruleSettings.remindAfterMs, problems)],
  );
  const processes = await attempt(
    problems,
    "processes",
    async () => (await deps.processes.list(STALE_AFTER_MS)).live,
  );
  if (processes === undefined) partial.add("processes.config_drift");
  return {
    snapshot: {
      processes: processes ?? [],
      stalled,
      retrying,
      done: uniqueById([...missingNext, ...undelivered]),
      escalations,
      limits,
      medians: safeMedians,
      pipelines,
      settings: ruleSettings,
    },
    partial,
  };
}

/** Runs every rule; one that throws is reported and treated as not having seen its data. */
function evaluate(
  snapshot: MonitorSnapshot,
  now: number,
  partial: Set<RuleId>,
  problems: Problems,
): Finding[] {
  return RULES.flatMap((rule) => {
    let findings: Finding[] | undefined;
    try {
      findings = rule.check(snapshot, now);
    } catch (error) {
      problems.push(`rule ${rule.id} failed: ${messageOf(error)}`);
      partial.add(rule.id);
    }
    return findings ?? [];
  });
}

/** The writes of one run; called inside the transaction. */
async function apply(
  deps: CheckerDeps,
  plan: Reconciliation,
  findings: readonly Finding[],
  now: number,
): Promise<{ raised: number[]; reminded: number }> {
  const { queries, outbox } = deps;
  const raised: number[] = [];
  for (const finding of plan.raise) raised.push(await queries.insertAnomaly(finding, now));
  for (const id of plan.resolve) await queries.resolveAnomaly(id, now);
  let reminded = 0;
  for (const finding of findings) {
    if (finding.remind !== true || finding.escalationId === undefined) continue;
    const escalationId = finding.escalationId;
    if (!(await queries.markReminded(escalationId, now))) continue;
    await outbox.add({ kind: "reminder", escalationId }, `reminder:${escalationId}`);
    reminded += 1;
  }
  if (raised.length > 0) {
    // Ids are fresh per run, so the first and last make a key no other run can have.
    await outbox.add(
      { kind: "anomalies", anomalyIds: raised },
      `anomalies:${raised[0]}-${raised.at(-1)}`,
    );
  }
  return { raised, reminded };
}

function rulesSettingsOf(config: Config, settings: CheckerSettings): RuleSettings {
  return {
    stallFactor: config.monitor.stall_factor,
    minSamples: settings.minSamples,
    medianFloorMs: settings.medianFloorMs,
    pipelineGraceMs: settings.pipelineGraceMs,
    deliveryGraceMs: settings.deliveryGraceMs,
    remindAfterMs: config.escalation.remind_after,
  };
}

function stallLimitsOf(config: Config): PerCategoryState<number> {
  return Object.fromEntries(
    config.categories.map((category) => [category.name, category.limits.stall]),
  );
}

function pipelinesOf(config: Config): Record<string, string> {
  return Object.fromEntries(
    config.categories.flatMap((category) =>
      category.then === undefined ? [] : [[category.name, category.then]],
    ),
  );
}

/**
 * Runs the reads behind some rules. A read that throws, or that hit its row cap, leaves those
 * rules partial: they still raise what they saw but close nothing.
 */
async function collect<T>(
  problems: Problems,
  what: string,
  rules: readonly RuleId[],
  partial: Set<RuleId>,
  read: () => Promise<Read<T>>[],
): Promise<T[]> {
  const reads = await attempt(problems, what, () => Promise.all(read()));
  const complete = reads?.every((result) => result.complete) === true;
  if (!complete) for (const rule of rules) partial.add(rule);
  if (reads === undefined) return [];
  if (!complete) {
    problems.push(
      `${what}: more than the row cap matched; the oldest were checked, nothing closed`,
    );
  }
  return reads.flatMap((result) => result.rows);
}

/** A task both undelivered and missing its next step is read twice; the rules need it once. */
function uniqueById<T extends { id: number }>(rows: T[]): T[] {
  return [...new Map(rows.map((row) => [row.id, row])).values()];
}

async function attempt<T>(
  problems: Problems,
  what: string,
  work: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    problems.push(`${what} failed: ${messageOf(error)}`);
    return undefined;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function report(logger: Logger | undefined, summary: CheckSummary): void {
  if (logger === undefined) return;
  if (summary.raised > 0 || summary.resolved > 0 || summary.reminded > 0) {
    logger.info(
      `status check: ${summary.raised} new, ${summary.resolved} cleared, ${summary.open} open, ` +
        `${summary.reminded} reminders (${Math.round(summary.durationMs)} ms)`,
    );
  }
  for (const problem of summary.problems) logger.warn(`status check: ${problem}`);
}
