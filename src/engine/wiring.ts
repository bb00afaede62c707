import { hostname } from "node:os";
import type { Config } from "../config/schema.js";
import type { Clock } from "../core/clock.js";
import type { EscalationCause } from "../core/ports.js";
import type { Task } from "../core/task.js";
import { ChatRefRows } from "../db/chat-ref-store.js";
import type { OpenDatabase } from "../db/connection.js";
import { EscalationStore } from "../db/escalation-store.js";
import { MonitorQueries } from "../db/monitor-queries.js";
import { OutboxStore } from "../db/outbox-store.js";
import { ProcessStore } from "../db/process-store.js";
import { QueueStore } from "../db/queue-store.js";
import { createReviewQueries } from "../db/review-queries.js";
import { RoutingExampleStore } from "../db/routing-example-store.js";
import { StatusQueries } from "../db/status-queries.js";
import { TaskStore } from "../db/task-store.js";
import { Escalations } from "../escalation/escalations.js";
import { Intake } from "../intake/intake.js";
import type { ReviewQueries } from "../review/port.js";
import { createCategoryRouter, type Router } from "../routing/classify.js";
import { type PoolHooks, WorkerPool } from "../workers/pool.js";
import { createWorkerRunner } from "../workers/registry.js";
import type { WorkerRunner } from "../workers/runner.js";
import { Filings } from "./filings.js";
import { STALE_AFTER_MS } from "./heartbeat.js";
import { RoutingLearning } from "./routing-learning.js";
import { StatusReader, type TaskDetail } from "./status.js";

export interface WiringOptions {
  config: Config;
  /** Folder of the config file: worker paths are relative to it. */
  configDir: string;
  database: OpenDatabase;
  clock: Clock;
  env?: Readonly<Record<string, string | undefined>>;
  /** Replaces the runner built from config for a worker (benchmarks, embedding). */
  runners?: ReadonlyMap<string, WorkerRunner>;
  leaseMs?: number;
  pollMs?: number;
  random?: () => number;
}

/** What the engine's parts call back into: the engine's own reactions to what they did. */
export interface WiringHooks extends Required<Pick<PoolHooks, "onDone" | "onClarify">> {
  /** Inside the transaction that escalated the task (intake, the pool, an incident). */
  escalated(task: Task, cause: EscalationCause): void;
  incidentResolved(worker: string): void;
  /** After any change of the pool's, once committed. */
  changed(task: Task): void;
  error(error: Error, context: string): void;
}

/** The engine's parts: its stores and the domain services over them. Only the engine holds them. */
export interface Parts {
  database: OpenDatabase;
  tasks: TaskStore;
  queue: QueueStore;
  outbox: OutboxStore;
  escalationStore: EscalationStore;
  escalations: Escalations;
  router: Router;
  learning: RoutingLearning;
  intake: Intake;
  filings: Filings;
  pool: WorkerPool;
  chatRefs: ChatRefRows;
  /** Which processes run on the database (here, this one): `steward status` lists them. */
  processes: ProcessStore;
  /** Read only when a status view asks: made on first use. */
  status(): StatusReader;
  monitorQueries(): MonitorQueries;
  reviewQueries(): ReviewQueries;
}

/** Builds the stores on `database`, then the domain services and the pool over them. */
export function wire(options: WiringOptions, hooks: WiringHooks): Parts {
  const { config, database, clock } = options;
  const tasks = new TaskStore(database.db, clock, database.writes);
  const queue = new QueueStore(database.db, tasks, clock);
  const outbox = new OutboxStore(database.db, clock);
  // The busy paths' statements, ready before the first request or claim, not during it.
  tasks.prepare();
  queue.prepare();
  outbox.prepare();
  const escalationStore = new EscalationStore(database.db);
  const escalations = new Escalations({
    config,
    store: escalationStore,
    outbox,
    clock,
    attemptsOf: (taskId) => queue.attemptsOf(taskId),
    transaction: (work) => tasks.write(work),
  });
  const examples = new RoutingExampleStore(database.db);
  const router = createCategoryRouter(config.categories, {
    minConfidence: config.intake.classifier.min_confidence,
    learned: examples.list(),
    corpus: config.corpus,
  });
  const learning = new RoutingLearning(examples, router, clock);
  const intake = new Intake({
    config,
    router,
    tasks,
    outbox,
    onEscalated: (task, reason) => hooks.escalated(task, { reason }),
  });
  const filings = new Filings(tasks, (filing) => intake.file(filing));
  const pool = new WorkerPool({
    config,
    tasks,
    queue,
    runners: runnersOf(config, options.runners),
    clock,
    owner: `${hostname()}:${process.pid}`,
    env: options.env ?? process.env,
    configDir: options.configDir,
    leaseMs: options.leaseMs,
    pollMs: options.pollMs,
    random: options.random,
    hooks: {
      onDone: hooks.onDone,
      onClarify: hooks.onClarify,
      onEscalated: hooks.escalated,
      onIncident: (incident, task) =>
        hooks.escalated(task, {
          reason: `${incident.worker} is down: ${incident.error}`,
          failureClass: "systemic",
          worker: incident.worker,
          error: incident.error,
        }),
      onIncidentResolved: hooks.incidentResolved,
      onChange: hooks.changed,
      onError: hooks.error,
    },
  });
  let monitorQueries: MonitorQueries | undefined;
  let reviewQueries: ReviewQueries | undefined;
  let status: StatusReader | undefined;
  const processes = new ProcessStore(database.db, clock);
  const parts: Parts = {
    database,
    tasks,
    queue,
    outbox,
    escalationStore,
    escalations,
    router,
    learning,
    intake,
    filings,
    pool,
    chatRefs: new ChatRefRows(database.db, clock),
    processes,
    monitorQueries: () => {
      monitorQueries ??= new MonitorQueries(database.sqlite);
      return monitorQueries;
    },
    reviewQueries: () => {
      reviewQueries ??= createReviewQueries(database.sqlite);
      return reviewQueries;
    },
    status: () => {
      status ??= new StatusReader({
        config,
        clock,
        queries: new StatusQueries(database.db),
        monitor: new MonitorQueries(database.sqlite),
        escalations,
        openIncidents: () => queue.openIncidents(),
        isPaused: (worker) => pool.isPaused(worker),
        backlog: () => outbox.backlog(),
        processes: () => processes.list(STALE_AFTER_MS),
        detail: (taskId) => detailOf(parts, taskId),
      });
      return status;
    },
  };
  return parts;
}

/** A task with its timeline and attempts. */
export function detailOf(parts: Pick<Parts, "tasks" | "queue">, taskId: number): TaskDetail {
  return {
    task: parts.tasks.require(taskId),
    events: parts.tasks.events(taskId),
    attempts: parts.queue.attemptsOf(taskId),
  };
}

/** One runner per configured worker; `replaced` wins for the workers it names. */
function runnersOf(
  config: Config,
  replaced: ReadonlyMap<string, WorkerRunner> = new Map(),
): Map<string, WorkerRunner> {
  const runners = new Map<string, WorkerRunner>(
    Object.entries(config.workers).map(([name, worker]) => [
      name,
      createWorkerRunner(name, worker),
    ]),
  );
  for (const [name, runner] of replaced) runners.set(name, runner);
  return runners;
}
