import type { FastifyInstance } from "fastify";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { TASK_STATES, type TaskState } from "../../core/states.js";
import type { Task } from "../../core/task.js";
import type { Engine } from "../../engine/engine.js";
import { VERSION } from "../../package-info.js";
import { failureOf, workerOf } from "../task-log.js";

/** States a task is stored in (`intake` is only ever the `from` of a first event). */
const STORED_STATES = TASK_STATES.filter((state) => state !== "intake");
/** Seconds: from a webhook answered at once to a task left queued behind a paused worker. */
const QUEUED_BUCKETS = [0.05, 0.25, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600];
/** Seconds: from a script's blink to an LLM's long answer, up to a worker's timeout. */
const RUNNING_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800];

export interface StewardMetrics {
  readonly registry: Registry;
  /** The status checker's last run took `ms`; the monitor wiring calls this after each run. */
  observeCheck(ms: number): void;
  /** A configured webhook refused a request (`code` as in its JSON answer). */
  countRefusal(webhook: string, code: string): void;
  /** Reads the gauges from the database, then renders every metric as Prometheus text. */
  scrape(): Promise<string>;
  /** Stops listening to the engine. */
  close(): void;
}

/**
 * Metrics in a registry of their own (not prom-client's global one), so several engines in one
 * process (tests) never share counters. Gauges are read on scrape; counters follow the engine.
 */
export function createMetrics(engine: Engine): StewardMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  const status = engine.status;

  const tasks = new Gauge({
    name: "steward_tasks",
    help: "Tasks in each state",
    labelNames: ["state"] as const,
    registers,
  });
  const tasksByCategory = new Gauge({
    name: "steward_tasks_by_category",
    help: "Tasks in each state, per category",
    labelNames: ["state", "category"] as const,
    registers,
  });
  const backlog = new Gauge({
    name: "steward_outbox_backlog",
    help: "Outbox messages not delivered yet",
    registers,
  });
  const openEscalations = new Gauge({
    name: "steward_escalations_open",
    help: "Escalations staged or posted and not resolved",
    registers,
  });
  const openAnomalies = new Gauge({
    name: "steward_anomalies_open",
    help: "Anomalies the status checker found that are not resolved",
    registers,
  });
  const paused = new Gauge({
    name: "steward_worker_paused",
    help: "1 while a worker is paused by a systemic failure, else 0",
    labelNames: ["worker"] as const,
    registers,
  });
  const processes = new Gauge({
    name: "steward_processes",
    help: "Steward processes on this database: live (beating) and stale (stopped without closing)",
    labelNames: ["state"] as const,
    registers,
  });
  const roleHolders = new Gauge({
    name: "steward_role_held",
    help: "1 for each singleton role a live Steward process holds, by the process's host and pid",
    labelNames: ["role", "host", "pid"] as const,
    registers,
  });
  const checkDuration = new Gauge({
    name: "steward_status_check_duration_seconds",
    help: "How long the status checker's last run took",
    registers,
  });
  const transitions = new Counter({
    name: "steward_task_transitions_total",
    help: "Task state changes, by the state entered",
    labelNames: ["to"] as const,
    registers,
  });
  const failures = new Counter({
    name: "steward_task_failures_total",
    help: "Failures that moved a task to retry, clarification or escalation, by class",
    labelNames: ["class"] as const,
    registers,
  });
  const refusals = new Counter({
    name: "steward_webhook_refusals_total",
    help: "Requests a configured webhook refused, by webhook and error code",
    labelNames: ["webhook", "code"] as const,
    registers,
  });
  const escalationsTotal = new Counter({
    name: "steward_escalations_total",
    help: "Tasks that were escalated",
    registers,
  });
  const queuedSeconds = new Histogram({
    name: "steward_task_queued_seconds",
    help: "Time a task waited in the queue before a worker took it, per category",
    labelNames: ["category"] as const,
    buckets: QUEUED_BUCKETS,
    registers,
  });
  const runningSeconds = new Histogram({
    name: "steward_task_running_seconds",
    help: "Time a task's run took (its review included when passed at once), per category",
    labelNames: ["category"] as const,
    buckets: RUNNING_BUCKETS,
    registers,
  });
  const attempts = new Counter({
    name: "steward_worker_attempts_total",
    help: "Runs a worker started",
    labelNames: ["worker"] as const,
    registers,
  });
  const workerFailures = new Counter({
    name: "steward_worker_failures_total",
    help: "Runs that failed, per worker and failure class",
    labelNames: ["worker", "class"] as const,
    registers,
  });
  new Gauge({
    name: "steward_build_info",
    help: "1, labelled with the running version of Steward and of Node.js",
    labelNames: ["version", "node_version"] as const,
    registers,
  }).set({ version: VERSION, node_version: process.version }, 1);
  // Since when each task seen entering queued or running has been there (engine clock, ms).
  const since = new Map<number, { state: TaskState; at: number }>();

  const refresh = async () => {
    // Everything read first, then set at once: two scrapes at a time never show a half-reset set.
    const [counts, open, { live, stale }, pausedWorkers, undelivered] = await Promise.all([
      status.counts(),
      status.openCounts(),
      status.processes(),
      engine.pausedWorkers(),
      engine.outbox.backlog(),
    ]);
    tasks.reset();
    tasksByCategory.reset();
    // Every state is present, so a query for an empty state reads 0 rather than nothing.
    const byState = new Map<TaskState, number>(STORED_STATES.map((state) => [state, 0]));
    for (const row of counts) {
      byState.set(row.state, (byState.get(row.state) ?? 0) + row.count);
      tasksByCategory.set({ state: row.state, category: row.category }, row.count);
    }
    for (const [state, n] of byState) tasks.set({ state }, n);
    backlog.set(undelivered);
    openEscalations.set(open.escalations);
    openAnomalies.set(open.anomalies);
    processes.set({ state: "live" }, live.length);
    processes.set({ state: "stale" }, stale.length);
    roleHolders.reset();
    for (const { roles, host, pid } of live) {
      for (const role of roles) roleHolders.set({ role, host, pid: String(pid) }, 1);
    }
    const pausedNow = new Set(pausedWorkers);
    for (const worker of Object.keys(engine.config.workers)) {
      paused.set({ worker }, pausedNow.has(worker) ? 1 : 0);
    }
  };

  const timeStays = (task: Task) => {
    const before = since.get(task.id);
    const seconds = before === undefined ? 0 : (task.stateSince - before.at) / 1000;
    if (before?.state === "queued" && task.state === "running") {
      queuedSeconds.observe({ category: task.category }, seconds);
    }
    if (before?.state === "running" && task.state !== "running") {
      runningSeconds.observe({ category: task.category }, seconds);
    }
    if (task.state === "queued" || task.state === "running") {
      since.set(task.id, { state: task.state, at: task.stateSince });
    } else {
      since.delete(task.id);
    }
  };

  const unsubscribe = engine.onTaskChange((task: Task) => {
    transitions.inc({ to: task.state });
    if (task.state === "running") attempts.inc({ worker: workerOf(task, engine) });
    const failure = failureOf(task, engine);
    if (failure !== undefined) {
      failures.inc({ class: failure.failureClass });
      workerFailures.inc({ worker: failure.worker, class: failure.failureClass });
    }
    if (task.state === "escalated") escalationsTotal.inc();
    timeStays(task);
  });

  return {
    registry,
    observeCheck: (ms) => checkDuration.set(ms / 1000),
    countRefusal: (webhook, code) => refusals.inc({ webhook, code }),
    scrape: async () => {
      await refresh();
      return registry.metrics();
    },
    close: () => {
      unsubscribe();
    },
  };
}

/** `GET /metrics`: Prometheus text format. */
export async function metricsRoutes(
  scope: FastifyInstance,
  options: { metrics: StewardMetrics },
): Promise<void> {
  scope.get("/metrics", async (_request, reply) => {
    const text = await options.metrics.scrape();
    return reply.type(options.metrics.registry.contentType).send(text);
  });
}
