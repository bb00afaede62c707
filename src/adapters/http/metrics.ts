import { count, inArray, isNull } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { TASK_STATES, type TaskState } from "../../core/states.js";
import type { Task } from "../../core/task.js";
import type { OpenDatabase } from "../../db/connection.js";
import { anomalies, escalations } from "../../db/schema.js";
import { StatusQueries } from "../../db/status-queries.js";
import type { Engine } from "../../engine/engine.js";

/** States a task is stored in (`intake` is only ever the `from` of a first event). */
const STORED_STATES = TASK_STATES.filter((state) => state !== "intake");
/** States a failure leaves a task in; entering one with a failure class counts that failure. */
const FAILURE_STATES: readonly TaskState[] = ["retry_wait", "needs_clarification", "escalated"];

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
export function createMetrics(engine: Engine, database: Pick<OpenDatabase, "db">): StewardMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  const status = new StatusQueries(database.db);

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

  const refresh = () => {
    tasks.reset();
    tasksByCategory.reset();
    // Every state is present, so a query for an empty state reads 0 rather than nothing.
    const byState = new Map<TaskState, number>(STORED_STATES.map((state) => [state, 0]));
    for (const row of status.counts()) {
      byState.set(row.state, (byState.get(row.state) ?? 0) + row.count);
      tasksByCategory.set({ state: row.state, category: row.category }, row.count);
    }
    for (const [state, n] of byState) tasks.set({ state }, n);
    backlog.set(engine.outbox.backlog());
    const escalationRow = database.db
      .select({ n: count() })
      .from(escalations)
      .where(inArray(escalations.state, ["staged", "open"]))
      .get();
    openEscalations.set(escalationRow?.n ?? 0);
    const anomalyRow = database.db
      .select({ n: count() })
      .from(anomalies)
      .where(isNull(anomalies.resolvedAt))
      .get();
    openAnomalies.set(anomalyRow?.n ?? 0);
    for (const worker of Object.keys(engine.config.workers)) {
      paused.set({ worker }, engine.pool.isPaused(worker) ? 1 : 0);
    }
  };

  const unsubscribe = engine.onTaskChange((task: Task) => {
    transitions.inc({ to: task.state });
    if (FAILURE_STATES.includes(task.state) && task.failureClass !== null) {
      failures.inc({ class: task.failureClass });
    }
    if (task.state === "escalated") escalationsTotal.inc();
  });

  return {
    registry,
    observeCheck: (ms) => checkDuration.set(ms / 1000),
    countRefusal: (webhook, code) => refusals.inc({ webhook, code }),
    scrape: async () => {
      refresh();
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
