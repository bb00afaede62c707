import { hostname } from "node:os";
import { categoryNamed, maxAttemptsOf } from "../config/lookup.js";
import type { Config } from "../config/schema.js";
import { type Clock, systemClock } from "../core/clock.js";
import { StewardError } from "../core/errors.js";
import { type Logger, silentLogger } from "../core/log.js";
import type { EscalationCause } from "../core/ports.js";
import { type Actor, formatTaskId, isTerminal } from "../core/states.js";
import type { Task, TaskEvent } from "../core/task.js";
import type { OpenDatabase } from "../db/connection.js";
import { OutboxStore } from "../db/outbox-store.js";
import { QueueStore } from "../db/queue-store.js";
import type { AttemptRow } from "../db/schema.js";
import { TaskStore } from "../db/task-store.js";
import { type FieldValues, Intake, type IntakeResult, type RawRequest } from "../intake/intake.js";
import { createRouter, type Router } from "../routing/classify.js";
import { WorkerPool } from "../workers/pool.js";
import { createWorkerRunner, type WorkerRunner } from "../workers/runner.js";
import { createNextStep } from "./pipeline.js";

export interface EngineOptions {
  config: Config;
  /** Folder of the config file: worker paths are relative to it. */
  configDir: string;
  database: OpenDatabase;
  clock?: Clock;
  env?: Readonly<Record<string, string | undefined>>;
  logger?: Logger;
  /** Replaces the runner built from config for a worker (benchmarks, embedding). */
  runners?: ReadonlyMap<string, WorkerRunner>;
  leaseMs?: number;
  pollMs?: number;
  random?: () => number;
}

export type TaskListener = (task: Task) => void;

export interface TaskDetail {
  task: Task;
  events: TaskEvent[];
  attempts: AttemptRow[];
}

/**
 * The application: every door (Discord, console, webhooks, schedules) calls these methods,
 * and every change a person should hear about lands in the outbox with the change.
 */
export class Engine {
  readonly config: Config;
  readonly clock: Clock;
  readonly tasks: TaskStore;
  readonly queue: QueueStore;
  readonly outbox: OutboxStore;
  readonly router: Router;
  readonly intake: Intake;
  readonly pool: WorkerPool;
  readonly logger: Logger;
  private readonly listeners = new Set<TaskListener>();

  constructor(options: EngineOptions) {
    const { config, database } = options;
    this.config = config;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.tasks = new TaskStore(database.db, database.sqlite, this.clock);
    this.queue = new QueueStore(database.db, this.tasks, this.clock);
    this.outbox = new OutboxStore(database.db, this.clock);
    this.router = createRouter(config.categories, {
      minConfidence: config.intake.classifier.min_confidence,
    });
    this.intake = new Intake({
      config,
      router: this.router,
      tasks: this.tasks,
      outbox: this.outbox,
      onEscalated: (task, reason) => this.escalated(task, { reason }),
    });
    const runners = new Map<string, WorkerRunner>(
      Object.entries(config.workers).map(([name, worker]) => [
        name,
        createWorkerRunner(name, worker),
      ]),
    );
    for (const [name, runner] of options.runners ?? []) runners.set(name, runner);
    this.pool = new WorkerPool({
      config,
      tasks: this.tasks,
      queue: this.queue,
      runners,
      clock: this.clock,
      owner: `${hostname()}:${process.pid}`,
      env: options.env ?? process.env,
      configDir: options.configDir,
      leaseMs: options.leaseMs,
      pollMs: options.pollMs,
      random: options.random,
      hooks: {
        onDone: (task) => this.completed(task),
        onClarify: (task, note) =>
          this.outbox.add(
            { kind: "clarification", taskId: task.id, missing: task.missingFields, note },
            `clarification:${task.id}:${task.updatedAt}`,
          ),
        onEscalated: (task, cause) => this.escalated(task, cause),
        onIncident: (incident, task) =>
          this.escalated(task, {
            reason: `${incident.worker} is down: ${incident.error}`,
            failureClass: "systemic",
            worker: incident.worker,
            error: incident.error,
          }),
        onChange: (task) => this.emit(task),
        onError: (error, context) => this.logger.error(`worker pool: ${context}: ${error.message}`),
      },
    });
  }

  start(): void {
    this.pool.start();
  }

  async stop(graceMs?: number): Promise<void> {
    await this.pool.stop(graceMs);
  }

  /** A request from any door → a task (or the earlier one, for a replayed delivery). */
  submit(request: RawRequest): IntakeResult {
    const result = this.intake.submit(request);
    if (!result.duplicate) this.changed(result.task);
    return result;
  }

  /** The requester's answer to a clarification, or an operator's edit of the brief. */
  answer(
    taskId: number,
    answer: { text?: string; fields?: FieldValues },
    actor: Actor,
  ): IntakeResult {
    const result = this.intake.resume(taskId, answer, actor);
    this.changed(result.task);
    return result;
  }

  cancel(taskId: number, actor: Actor, reason = "cancelled"): Task {
    const task = this.tasks.require(taskId);
    if (isTerminal(task.state)) {
      throw new StewardError(
        "illegal_transition",
        `${formatTaskId(taskId)} is already ${task.state}`,
      );
    }
    const cancelled = this.tasks.transaction(() => {
      const moved = this.tasks.transition(taskId, "cancelled", {
        actor,
        reason,
        patch: { leaseOwner: null, leaseExpiresAt: null },
      });
      this.outbox.add({ kind: "task_cancelled", taskId, actor, reason }, `cancelled:${taskId}`);
      return moved;
    });
    this.pool.abort(taskId);
    this.changed(cancelled);
    return cancelled;
  }

  /** An operator's "try again": a fresh set of attempts from the queue. */
  retry(taskId: number, actor: Actor): Task {
    const task = this.tasks.require(taskId);
    const category = categoryNamed(this.config, task.category);
    if (category.catch_all) {
      throw new StewardError("illegal_transition", `${formatTaskId(taskId)} fits no category: reroute it instead`);
    }
    const retried = this.tasks.transition(taskId, "queued", {
      actor,
      reason: `retried by ${actor}`,
      patch: { maxAttempts: task.attempts + maxAttemptsOf(this.config, category), nextRunAt: this.clock.now() },
    });
    this.changed(retried);
    return retried;
  }

  /** An operator's "this belongs elsewhere": the new category is recorded as the deciding rule. */
  reroute(taskId: number, categoryName: string, actor: Actor): Task {
    const task = this.tasks.require(taskId);
    const category = categoryNamed(this.config, categoryName);
    if (category.catch_all) {
      throw new StewardError("unknown_category", `reroute to a category that has a worker, not ${categoryName}`);
    }
    const rerouted = this.tasks.transition(taskId, "queued", {
      actor,
      reason: `rerouted from ${task.category} to ${category.name} by ${actor}`,
      data: { from: task.category, to: category.name },
      patch: {
        category: category.name,
        routing: {
          category: category.name,
          classifier: task.routing.classifier,
          rule: "reroute",
          score: 1,
          matched: [],
          explanation: `rerouted by ${actor} (was ${task.category}, rule ${task.routing.rule})`,
        },
        maxAttempts: task.attempts + maxAttemptsOf(this.config, category),
        nextRunAt: this.clock.now(),
      },
    });
    this.changed(rerouted);
    return rerouted;
  }

  detail(taskId: number): TaskDetail {
    return {
      task: this.tasks.require(taskId),
      events: this.tasks.events(taskId),
      attempts: this.queue.attemptsOf(taskId),
    };
  }

  /** Progress displays (task cards) subscribe here; called after each committed change. */
  onTaskChange(listener: TaskListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private completed(task: Task): void {
    this.outbox.add({ kind: "task_done", taskId: task.id }, `done:${task.id}`);
    const category = categoryNamed(this.config, task.category);
    if (category.then !== undefined) {
      const next = createNextStep(this.intake, task, category.then, this.config);
      this.tasks.update(task.id, { nextId: next.id });
      this.emitLater(next);
    }
  }

  private escalated(task: Task, cause: EscalationCause): void {
    this.outbox.add(
      { kind: "task_escalated", taskId: task.id, reason: cause.reason },
      `escalated:${task.id}:${task.updatedAt}`,
    );
  }

  private changed(task: Task): void {
    this.emit(task);
    if (task.state === "queued") this.pool.kick();
  }

  private emit(task: Task): void {
    for (const listener of this.listeners) {
      try {
        listener(task);
      } catch (error) {
        this.logger.error(`task listener failed: ${(error as Error).message}`);
      }
    }
  }

  /** For changes made inside a transaction: tell listeners once it has committed. */
  private emitLater(task: Task): void {
    setImmediate(() => this.changed(this.tasks.get(task.id) ?? task));
  }
}
