import type { Config } from "../config/schema.js";
import type { Clock } from "../core/clock.js";
import type { EscalationCause } from "../core/ports.js";
import { STALE_AFTER_MS } from "../core/processes.js";
import type { Task } from "../core/task.js";
import type { OpenDatabase } from "../db/connection.js";
import { type OpenStore, sqliteOpenStore } from "../db/open-store.js";
import type { Store } from "../db/store.js";
import { Escalations } from "../escalation/escalations.js";
import { Intake } from "../intake/intake.js";
import { createCategoryRouter, type Router } from "../routing/classify.js";
import { type PoolHooks, WorkerPool } from "../workers/pool.js";
import { createWorkerRunner } from "../workers/registry.js";
import type { WorkerRunner } from "../workers/runner.js";
import { Filings } from "./filings.js";
import { newProcessId } from "./heartbeat.js";
import { RoutingLearning } from "./routing-learning.js";
import { StatusReader, type TaskDetail } from "./status.js";

export interface WiringOptions {
  config: Config;
  /** Folder of the config file: worker paths are relative to it. */
  configDir: string;
  /** The store, opened on the engine's clock (`openStore`: the engine takes the store's)… */
  store?: OpenStore;
  /** …or a SQLite database to build it on (tests, benches, one-shot commands). */
  database?: OpenDatabase;
  clock: Clock;
  env?: Readonly<Record<string, string | undefined>>;
  /** Replaces the runner built from config for a worker (benchmarks, embedding). */
  runners?: ReadonlyMap<string, WorkerRunner>;
  /** A claimed task's lease: the config's `database.lease` unless given. */
  leaseMs?: number;
  pollMs?: number;
  random?: () => number;
  /** Which categories this process works, and how many tasks at once (`steward worker`). */
  workers?: { categories?: readonly string[]; concurrency?: number };
}

/** What the engine's parts call back into: the engine's own reactions to what they did. */
export interface WiringHooks extends Required<Pick<PoolHooks, "onDone" | "onClarify">> {
  /** Inside the transaction that escalated the task (intake, the pool, an incident). */
  escalated(task: Task, cause: EscalationCause): Promise<void>;
  incidentResolved(worker: string): Promise<void>;
  /** After any change of the pool's, once committed. */
  changed(task: Task): void;
  error(error: Error, context: string): void;
}

/** The engine's parts: its store and the domain services over it. Only the engine holds them. */
export interface Parts {
  /** This process's id: it registers under it and owns its leases with it. */
  processId: string;
  opened: OpenStore;
  store: Store<"async">;
  escalations: Escalations;
  router: Router;
  learning: RoutingLearning;
  intake: Intake;
  filings: Filings;
  pool: WorkerPool;
  /** Read only when a status view asks: made on first use. */
  status(): StatusReader;
}

/**
 * The domain services and the pool over the store (SQLite's asynchronous face or PostgreSQL:
 * the same ports). The router is built on the decisions stored when the store was opened.
 */
export function wire(options: WiringOptions, hooks: WiringHooks): Parts {
  const { config, clock } = options;
  const opened = openedOf(options);
  const { store } = opened;
  const { tasks, queue, outbox } = store;
  const shared = opened.coordination !== undefined;
  const escalations = new Escalations({
    config,
    store: store.escalations,
    outbox,
    clock,
    attemptsOf: (taskId) => queue.attemptsOf(taskId),
    transaction: (work) => tasks.write(work),
  });
  const router = createCategoryRouter(config.categories, {
    minConfidence: config.intake.classifier.min_confidence,
    learned: opened.learned,
    corpus: config.corpus,
  });
  const learning = new RoutingLearning(store.routingExamples, router, clock);
  const intake = new Intake({
    config,
    router,
    tasks,
    outbox,
    onEscalated: (task, reason) => hooks.escalated(task, { reason }),
  });
  const filings = new Filings(tasks, (filing) => intake.file(filing));
  const processId = newProcessId();
  const pool = new WorkerPool({
    config,
    tasks,
    queue,
    runners: runnersOf(config, options.runners),
    clock,
    owner: processId,
    env: options.env ?? process.env,
    configDir: options.configDir,
    leaseMs: options.leaseMs ?? config.database.lease,
    // Shared, new work wakes the pool (LISTEN/NOTIFY): the poll is for due retries and leases.
    pollMs: options.pollMs ?? (shared ? 2_000 : undefined),
    random: options.random,
    categories: options.workers?.categories,
    concurrency: options.workers?.concurrency,
    shared,
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
  let status: StatusReader | undefined;
  const parts: Parts = {
    processId,
    opened,
    store,
    escalations,
    router,
    learning,
    intake,
    filings,
    pool,
    status: () => {
      status ??= new StatusReader({
        config,
        clock,
        queries: store.status,
        monitor: store.monitor,
        escalations,
        openIncidents: () => queue.openIncidents(),
        backlog: () => outbox.backlog(),
        processes: () => store.processes.list(STALE_AFTER_MS),
        detail: (taskId) => detailOf(store, taskId),
      });
      return status;
    },
  };
  return parts;
}

function openedOf(options: WiringOptions): OpenStore {
  if (options.store !== undefined) return options.store;
  if (options.database === undefined) throw new Error("an engine needs a store or a database");
  return sqliteOpenStore(options.database, options.clock);
}

/** A task with its timeline and attempts. */
export async function detailOf(
  store: Pick<Store<"async">, "tasks" | "queue">,
  taskId: number,
): Promise<TaskDetail> {
  return {
    task: await store.tasks.require(taskId),
    events: await store.tasks.events(taskId),
    attempts: await store.queue.attemptsOf(taskId),
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
