/*
 * Over 400 lines, knowingly: the engine is still façade, wiring and escalation decisions at once,
 * and adapters still reach its stores. Narrowing it (a read API for adapters, escalation
 * decisions in src/escalation/, wiring in its own module) is the open part of issue 19; see
 * docs/architecture.md, "Known debts".
 */
import { hostname } from "node:os";
import { categoryNamed, maxAttemptsOf } from "../config/lookup.js";
import type { Config } from "../config/schema.js";
import { type Clock, systemClock } from "../core/clock.js";
import { destinationOf } from "../core/destination.js";
import { StewardError } from "../core/errors.js";
import { type Logger, silentLogger } from "../core/log.js";
import type { EscalationCause } from "../core/ports.js";
import { type Actor, formatTaskId, isTerminal } from "../core/states.js";
import type { Task, TaskEvent } from "../core/task.js";
import type { OpenDatabase } from "../db/connection.js";
import { EscalationStore } from "../db/escalation-store.js";
import { MonitorQueries } from "../db/monitor-queries.js";
import { OutboxStore } from "../db/outbox-store.js";
import { QueueStore } from "../db/queue-store.js";
import { createReviewQueries } from "../db/review-queries.js";
import { RoutingExampleStore } from "../db/routing-example-store.js";
import type { AttemptRow } from "../db/schema.js";
import { TaskStore } from "../db/task-store.js";
import { Escalations } from "../escalation/escalations.js";
import { type EscalationCard, formatEscalation, type PersonName } from "../escalation/format.js";
import { isOperator, type Person } from "../escalation/operators.js";
import { type AgentReading, askIntakeAgent, MAX_AGENT_EXAMPLES } from "../intake/agent.js";
import {
  type FieldValues,
  Intake,
  type IntakeResult,
  planFiling,
  type RawRequest,
  REROUTE_RULE,
} from "../intake/intake.js";
import { type CheckSummary, runChecks } from "../monitor/checker.js";
import type { OpenAnomaly } from "../monitor/store.js";
import { chooseReview, type ReviewAnswer } from "../review/choose.js";
import type { ReviewQueries } from "../review/port.js";
import { buildReview, type Review } from "../review/report.js";
import { createRouter, type Router } from "../routing/classify.js";
import { classifyWithLlm } from "../routing/llm-classifier.js";
import { jsonModel } from "../workers/kinds/llm.js";
import { WorkerPool } from "../workers/pool.js";
import { createWorkerRunner } from "../workers/registry.js";
import type { WorkerRunner } from "../workers/runner.js";
import { Filings } from "./filings.js";
import { type MonitorSchedule, startMonitor } from "./monitor-schedule.js";
import { createNextStep } from "./pipeline.js";
import { RoutingLearning } from "./routing-learning.js";

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

export type EscalationRequest =
  | { action: "retry" }
  | { action: "cancel" }
  | { action: "reroute"; category: string }
  | { action: "edit"; text?: string; fields?: FieldValues };

export interface EscalationOutcome {
  escalationId: number;
  action: EscalationRequest["action"];
  acted: Task[];
  /** Tasks the action could not apply to, and why (already moved on, already resolved…). */
  skipped: { taskId: number; why: string }[];
  resolved: boolean;
}

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
  readonly database: OpenDatabase;
  readonly escalationStore: EscalationStore;
  readonly escalations: Escalations;
  /** People's routing decisions, learned by the router. */
  readonly learning: RoutingLearning;
  private readonly listeners = new Set<TaskListener>();
  private readonly filings: Filings;
  /** Aborted by `stop`: cuts short the questions to models still open. */
  private readonly stopping = new AbortController();
  /** Questions to the models still open, and requests not yet handed to filing (stop waits). */
  private readonly asking = new Set<Promise<unknown>>();

  constructor(options: EngineOptions) {
    const { config, database } = options;
    this.config = config;
    this.database = database;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.tasks = new TaskStore(database.db, database.sqlite, this.clock, database.commits);
    this.queue = new QueueStore(database.db, this.tasks, this.clock);
    this.outbox = new OutboxStore(database.db, this.clock);
    // The busy paths' statements, ready before the first request or claim, not during it.
    this.tasks.prepare();
    this.queue.prepare();
    this.outbox.prepare();
    this.escalationStore = new EscalationStore(database.db);
    this.escalations = new Escalations({
      config,
      store: this.escalationStore,
      outbox: this.outbox,
      clock: this.clock,
      attemptsOf: (taskId) => this.queue.attemptsOf(taskId),
      transaction: (work) => this.tasks.write(work),
    });
    const examples = new RoutingExampleStore(database.db);
    this.router = createRouter(config.categories, {
      minConfidence: config.intake.classifier.min_confidence,
      learned: examples.list(),
    });
    this.learning = new RoutingLearning(examples, this.router, this.clock);
    this.intake = new Intake({
      config,
      router: this.router,
      tasks: this.tasks,
      outbox: this.outbox,
      onEscalated: (task, reason) => this.escalated(task, { reason }),
    });
    this.filings = new Filings(this.tasks, (filing) => this.intake.file(filing));
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
        onIncidentResolved: (worker) => this.incidentResolved(worker),
        onChange: (task) => this.emit(task),
        onError: (error, context) => this.logger.error(`worker pool: ${context}: ${error.message}`),
      },
    });
  }

  private flushTimer: NodeJS.Timeout | undefined;
  private monitor: MonitorSchedule | undefined;
  /** Read only when a status-check message is shown: made on first use. */
  private monitorQueries: MonitorQueries | undefined;
  private readonly checkListeners = new Set<(summary: CheckSummary) => void>();

  start(): void {
    this.pool.start();
    // Created here, not in the constructor: croner starts its timer as soon as the job exists.
    this.monitor = startMonitor({
      config: this.config,
      database: this.database,
      outbox: this.outbox,
      clock: this.clock,
      logger: this.logger,
      onRun: (summary) => {
        for (const listener of this.checkListeners) listener(summary);
      },
    });
    // The batching window is the latency floor of an escalation; checking 10× per window is plenty.
    const every = Math.min(5_000, Math.max(50, this.config.escalation.batch_window / 10));
    this.flushTimer = setInterval(() => this.flushEscalations(), every);
  }

  async stop(graceMs?: number): Promise<void> {
    // Requests already taken in are filed (and queued for the next start), not dropped: those
    // still waiting on a model are read and routed by the rules now, the trace saying why.
    this.stopping.abort(new Error("Steward is stopping"));
    await Promise.allSettled(this.asking);
    this.filings.fileWaiting();
    clearInterval(this.flushTimer);
    this.monitor?.stop();
    this.monitor = undefined;
    await this.pool.stop(graceMs);
    this.database.commits.commit();
  }

  /** Runs the status checker now (on demand, or on a simulated clock). */
  checkNow(): CheckSummary {
    if (this.monitor !== undefined) return this.monitor.runNow();
    const summary = runChecks(
      {
        config: this.config,
        queries: new MonitorQueries(this.database.sqlite),
        outbox: this.outbox,
        logger: this.logger,
      },
      this.clock.now(),
    );
    for (const listener of this.checkListeners) listener(summary);
    return summary;
  }

  /** The open anomalies among `ids`, in words: what a status-check message is about. */
  openAnomalies(ids: readonly number[]): OpenAnomaly[] {
    const wanted = new Set(ids);
    this.monitorQueries ??= new MonitorQueries(this.database.sqlite);
    return this.monitorQueries.openAnomalies().filter((anomaly) => wanted.has(anomaly.id));
  }

  /** Told after each status-checker run (metrics). */
  onCheck(listener: (summary: CheckSummary) => void): () => void {
    this.checkListeners.add(listener);
    return () => this.checkListeners.delete(listener);
  }

  /** Posts the escalation groups whose batching window is over. */
  flushEscalations(): number {
    try {
      return this.escalations.flush();
    } catch (error) {
      this.logger.error(`escalation flush failed: ${(error as Error).message}`);
      return 0;
    }
  }

  /** `person` names the requester as the interface shows people (a mention, a name). */
  escalationCard(escalationId: number, person?: PersonName): EscalationCard {
    return formatEscalation(this.escalations.view(escalationId), person);
  }

  /**
   * An operator's decision on an escalation: applied to every waiting task of the group, or
   * to one. Refused for non-operators; a stale button changes nothing and says why.
   */
  actOnEscalation(
    escalationId: number,
    request: EscalationRequest,
    person: Person,
    onlyTaskId?: number,
  ): EscalationOutcome {
    if (!isOperator(this.config, person)) {
      throw new StewardError("not_operator", "Only operators can act on escalations.");
    }
    const group = this.escalationStore.get(escalationId);
    if (group === undefined)
      throw new StewardError("escalation_not_found", `E-${escalationId} does not exist`);
    if (group.state === "resolved") {
      throw new StewardError(
        "stale_action",
        `E-${escalationId} was already resolved (${group.resolution ?? "resolved"} by ${group.resolvedBy ?? "system"}); nothing changed.`,
      );
    }
    const members = this.escalationStore
      .tasksOf(escalationId)
      .filter(
        (member) =>
          member.resolvedAt === null && (onlyTaskId === undefined || member.task.id === onlyTaskId),
      );
    if (members.length === 0) {
      throw new StewardError(
        "stale_action",
        `nothing in E-${escalationId} is waiting for that decision any more`,
      );
    }
    const outcome: EscalationOutcome = {
      escalationId,
      action: request.action,
      acted: [],
      skipped: [],
      resolved: false,
    };
    const resolution =
      request.action === "reroute"
        ? `rerouted:${request.category}`
        : request.action === "edit"
          ? "edited"
          : `${request.action === "retry" ? "retried" : "cancelled"}`;
    this.tasks.write(() => {
      for (const { task } of members) {
        const moved = this.applyDecision(
          task,
          request,
          person.id,
          group.failureClass === "systemic" ? group.worker : null,
        );
        if (typeof moved === "string") {
          outcome.skipped.push({ taskId: task.id, why: moved });
          continue;
        }
        outcome.acted.push(moved);
        // A systemic retry leaves the tasks queued behind the probe: settle them here.
        this.settleEscalation(task.id, resolution, person.id);
      }
      outcome.resolved = this.escalationStore.get(escalationId)?.state === "resolved";
    });
    for (const task of outcome.acted) this.changed(task);
    return outcome;
  }

  /** One task's share of an escalation decision; a string says why it did not apply. */
  private applyDecision(
    task: Task,
    request: EscalationRequest,
    actor: Actor,
    pausedWorker: string | null,
  ): Task | string {
    const current = this.tasks.require(task.id);
    // A systemic incident's tasks wait in the queue behind the paused worker, not escalated.
    const waiting =
      current.state === "escalated" || (pausedWorker !== null && current.state === "queued");
    if (request.action === "cancel") {
      return isTerminal(current.state)
        ? `${formatTaskId(task.id)} is already ${current.state}`
        : this.cancel(task.id, actor, `cancelled by ${actor} from its escalation`);
    }
    if (!waiting)
      return `${formatTaskId(task.id)} is ${current.state} now, no longer waiting for a decision`;
    switch (request.action) {
      case "retry":
        if (pausedWorker !== null) {
          this.pool.probeNow(pausedWorker);
          return current;
        }
        return this.retry(task.id, actor);
      case "reroute":
        return this.reroute(task.id, request.category, actor);
      case "edit":
        return this.answer(task.id, { text: request.text, fields: request.fields }, actor).task;
    }
  }

  /** A decision on a task also answers the escalation it was waiting in. */
  private settleEscalation(taskId: number, resolution: string, actor: Actor): void {
    const group = this.escalationStore.openGroupOf(taskId);
    if (group === undefined) return;
    const now = this.clock.now();
    this.escalationStore.resolveTask(group.id, taskId, resolution, now);
    if (this.escalationStore.resolveIfSettled(group.id, resolution, actor, now)) {
      this.outbox.add(
        { kind: "escalation_resolved", escalationId: group.id },
        `escalation-resolved:${group.id}`,
      );
    }
  }

  /** Escalates a task from wherever it is (the status checker, an operator), staged like any other. */
  escalate(taskId: number, cause: EscalationCause, actor: Actor = "system"): Task {
    const escalated = this.tasks.write(() => {
      const moved = this.tasks.transition(taskId, "escalated", {
        actor,
        reason: cause.reason,
        data: { failureClass: cause.failureClass, worker: cause.worker },
        patch: {
          leaseOwner: null,
          leaseExpiresAt: null,
          failureClass: cause.failureClass ?? null,
          lastError: cause.error ?? null,
        },
      });
      this.escalated(moved, cause);
      return moved;
    });
    this.pool.abort(taskId);
    this.changed(escalated);
    return escalated;
  }

  private incidentResolved(worker: string): void {
    for (const group of this.escalationStore.open()) {
      if (group.failureClass !== "systemic" || group.worker !== worker) continue;
      this.tasks.write(() => {
        for (const member of this.escalationStore.tasksOf(group.id)) {
          if (member.resolvedAt === null)
            this.escalationStore.resolveTask(
              group.id,
              member.task.id,
              "recovered",
              this.clock.now(),
            );
        }
        this.escalationStore.resolveIfSettled(group.id, "recovered", "system", this.clock.now());
        this.outbox.add(
          { kind: "escalation_resolved", escalationId: group.id },
          `escalation-resolved:${group.id}`,
        );
      });
    }
  }

  /** A request from any door → a task (or the earlier one, for a replayed delivery). */
  submit(request: RawRequest): IntakeResult {
    return this.filed(this.intake.submit(request));
  }

  /**
   * Like `submit`, but asks the configured models first (`withModels`), and shares its commit
   * with the requests around it: it resolves once the task is committed, so an acknowledgement
   * sent then is never taken back by a crash. Adapters use this one.
   */
  async submitAsync(request: RawRequest): Promise<IntakeResult> {
    // Tracked until the filing is handed over (wrapped, so not until it commits): `stop` then
    // files it with the others before it closes.
    const handed = this.track(
      this.withModels(request).then((asked) => ({
        filed: this.filings.add(this.intake.prepare(asked)),
      })),
    );
    const { filed } = await handed;
    return this.filed(await filed);
  }

  /**
   * What filing `request` would do, storing nothing: the same models as `submitAsync` (unless
   * `rulesOnly`), the brief with what was filled in, what is missing and the state it would
   * enter. The dry run and `route --eval` show this.
   */
  async plan(request: RawRequest, options: { rulesOnly?: boolean } = {}) {
    const asked = options.rulesOnly ? request : await this.withModels(request);
    return planFiling(this.config, this.router, asked);
  }

  /**
   * The request with what the configured models made of it: the intake agent's reading, then
   * the LLM classifier's routing unless the agent named the category. Unchanged when no model is
   * configured or none needs asking (a replayed delivery, Steward stopping). A door that files
   * synchronously (the console) awaits this, then calls `submit`.
   */
  withModels(request: RawRequest): Promise<RawRequest> {
    return this.track(this.askModels(request));
  }

  private async askModels(request: RawRequest): Promise<RawRequest> {
    // A replayed delivery returns the earlier task: no question to ask.
    if (
      request.dedupeKey !== undefined &&
      this.tasks.findByDedupeKey(request.source, request.dedupeKey)
    ) {
      return request;
    }
    let asked = request;
    const reading = await this.askIntakeAgent(request);
    if (reading !== undefined) {
      asked = { ...asked, agent: reading };
      if (!reading.answered) {
        this.logger.warn(`intake agent failed (${reading.failure}); used the rules`);
        // The same endpoint just failed: asking it again would only double the wait.
        const { classifier, agent } = this.config.intake;
        if (classifier.kind === "llm" && classifier.worker === agent?.worker) return asked;
      } else if (reading.category !== undefined) {
        return asked;
      }
    }
    const classified = await this.askLlmClassifier(asked);
    if (classified === undefined) return asked;
    const { routing, usage } = classified;
    return { ...asked, routing, ...(usage && { classifierUsage: usage }) };
  }

  /** A filed request: its task is news, unless a replayed delivery returned the earlier one. */
  private filed(result: IntakeResult): IntakeResult {
    if (result.duplicate) return result;
    this.learning.filedExplicitly(result.task);
    this.changed(result.task);
    return result;
  }

  /**
   * The intake agent's reading of a free-text request, when one is configured. Not asked for a
   * request of fields alone (already a brief) nor a pipeline step (the output of the one before).
   */
  private askIntakeAgent(request: RawRequest): Promise<AgentReading> | undefined {
    const agent = this.config.intake.agent;
    const text = request.text ?? "";
    if (agent === undefined || request.agent !== undefined || this.stopping.signal.aborted) {
      return undefined;
    }
    if (text.trim() === "" || request.parentId !== undefined) return undefined;
    const worker = this.config.workers[agent.worker];
    if (worker?.kind !== "llm") return undefined;
    const question = {
      text,
      categories: this.config.categories,
      examples: this.learning.recent(MAX_AGENT_EXAMPLES),
    };
    return askIntakeAgent(jsonModel(worker, "intake agent"), question, {
      timeoutMs: worker.timeout,
      stop: this.stopping.signal,
    });
  }

  /**
   * The LLM classifier's routing, when one is configured and the request needs routing;
   * undefined otherwise (the rules route it, with no wait).
   */
  private askLlmClassifier(request: RawRequest): ReturnType<typeof classifyWithLlm> | undefined {
    const classifier = this.config.intake.classifier;
    if (classifier.kind !== "llm" || request.routing !== undefined) return undefined;
    if (this.stopping.signal.aborted) return undefined;
    const worker = this.config.workers[classifier.worker];
    if (worker?.kind !== "llm") return undefined;
    const { routeRequest } = this.intake.preview(request);
    return classifyWithLlm(this.router, jsonModel(worker, "llm classifier"), routeRequest, {
      timeoutMs: worker.timeout,
      stop: this.stopping.signal,
    });
  }

  /** Kept in `asking` until it settles, so `stop` can wait for it. */
  private track<T>(promise: Promise<T>): Promise<T> {
    this.asking.add(promise);
    const settled = () => this.asking.delete(promise);
    promise.then(settled, settled);
    return promise;
  }

  /** The requester's answer to a clarification, or an operator's edit of the brief. */
  answer(
    taskId: number,
    answer: { text?: string; fields?: FieldValues },
    actor: Actor,
  ): IntakeResult {
    const result = this.tasks.write(() => {
      // Settled first: an answer that escalates again opens an escalation nobody has decided.
      this.settleEscalation(taskId, "edited", actor);
      return this.intake.resume(taskId, answer, actor);
    });
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
    const cancelled = this.tasks.write(() => {
      const moved = this.tasks.transition(taskId, "cancelled", {
        actor,
        reason,
        data: { action: "cancel" },
        patch: { leaseOwner: null, leaseExpiresAt: null },
      });
      this.outbox.add({ kind: "task_cancelled", taskId, actor, reason }, `cancelled:${taskId}`);
      this.settleEscalation(taskId, "cancelled", actor);
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
      throw new StewardError(
        "illegal_transition",
        `${formatTaskId(taskId)} fits no category: reroute it instead`,
      );
    }
    const retried = this.tasks.write(() => {
      this.settleEscalation(taskId, "retried", actor);
      return this.tasks.transition(taskId, "queued", {
        actor,
        reason: `retried by ${actor}`,
        data: { action: "retry" },
        patch: {
          maxAttempts: task.attempts + maxAttemptsOf(this.config, category),
          nextRunAt: this.clock.now(),
        },
      });
    });
    this.changed(retried);
    return retried;
  }

  /** An operator's "this belongs elsewhere": the new category is recorded as the deciding rule. */
  reroute(taskId: number, categoryName: string, actor: Actor): Task {
    const task = this.tasks.require(taskId);
    const category = categoryNamed(this.config, categoryName);
    if (category.catch_all) {
      throw new StewardError(
        "unknown_category",
        `reroute to a category that has a worker, not ${categoryName}`,
      );
    }
    const rerouted = this.tasks.write(() => {
      this.settleEscalation(taskId, `rerouted:${category.name}`, actor);
      return this.intake.reroute(
        taskId,
        category,
        {
          category: category.name,
          classifier: task.routing.classifier,
          rule: REROUTE_RULE,
          score: 1,
          matched: [],
          explanation: `rerouted by ${actor} (was ${task.category}, rule ${task.routing.rule})`,
        },
        actor,
        { action: "reroute", from: task.category, to: category.name },
      );
    });
    if (task.category !== category.name) this.learning.rerouted(task, category.name, actor);
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

  private reviewQueries: ReviewQueries | undefined;

  /** The month's review (`2024-05`), every figure read on one snapshot. */
  review(month: string): Review {
    this.reviewQueries ??= createReviewQueries(this.database.sqlite);
    return buildReview(this.reviewQueries, this.config, month);
  }

  /** What `review [month]` shows: without a month, the last full one unless it is empty. */
  reviewAsked(month?: string): ReviewAnswer {
    const timeZone = this.config.review.timezone ?? "UTC";
    return chooseReview(month, this.clock.now(), timeZone, (asked) => this.review(asked));
  }

  /** The output reached its destination: what the status checker's delivery rule looks for. */
  markDelivered(taskId: number): void {
    this.tasks.update(taskId, { deliveredAt: this.clock.now() });
  }

  /** The output pump put a task's output where its brief said (`where`, in words). */
  outputDelivered(taskId: number, where: string): void {
    this.tasks.write(() => {
      this.markDelivered(taskId);
      this.outbox.add(
        { kind: "output_delivery", taskId, delivered: true, detail: where },
        `output:${taskId}`,
      );
    });
  }

  /**
   * The brief named a destination Steward refuses (outside delivery.dir, a URL not allowed, a
   * redirect): no retry can fix that, so the requester hears why; the output stays on the task.
   */
  outputRefused(taskId: number, reason: string): void {
    this.tasks.write(() => {
      this.outbox.add(
        { kind: "output_delivery", taskId, delivered: false, detail: reason },
        `output:${taskId}`,
      );
    });
  }

  /** Progress displays (task cards) subscribe here; called after each committed change. */
  onTaskChange(listener: TaskListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Returns the task as it now stands when a next step was linked to it. */
  private completed(task: Task): Task | undefined {
    const destination = destinationOf(task.outputFormat);
    this.outbox.add({ kind: "task_done", taskId: task.id, destination }, `done:${task.id}`);
    if (destination.kind === "file" || destination.kind === "webhook") {
      this.outbox.add(
        { kind: "deliver_output", taskId: task.id, destination },
        `deliver:${task.id}`,
      );
    }
    // A category removed from config since must not block the completion itself.
    const category = this.config.categories.find((candidate) => candidate.name === task.category);
    if (category?.then !== undefined) {
      const next = this.fileNextStep(task, category.then);
      if (next === undefined) return undefined;
      // Told once the completion has committed, from its commit, as every change is (emit).
      this.changed(next);
      this.tasks.update(task.id, { nextId: next.id });
      return this.tasks.get(task.id);
    }
    return undefined;
  }

  /**
   * The next step, in a savepoint of its own: one intake refuses (its objective grown past the
   * limit) must not undo the completion, nor the pool's group with it. The task is done without
   * it, which the status checker's missing-next rule reports.
   */
  private fileNextStep(task: Task, nextCategory: string): Task | undefined {
    try {
      return this.tasks.write(() => createNextStep(this.intake, task, nextCategory, this.config));
    } catch (error) {
      // Intake's refusals only: anything else (the database failing) fails the completion.
      if (!(error instanceof StewardError)) throw error;
      this.logger.error(
        `${formatTaskId(task.id)} is done, but its next step (${nextCategory}) could not be filed: ${error.message}`,
      );
      return undefined;
    }
  }

  private escalated(task: Task, cause: EscalationCause): void {
    this.escalations.stage(task, cause);
    this.outbox.add(
      { kind: "task_escalated", taskId: task.id, reason: cause.reason },
      `escalated:${task.id}:${task.updatedAt}`,
    );
  }

  private changed(task: Task): void {
    this.emit(task);
    if (task.state === "queued") this.pool.kick();
  }

  /** Listeners hear of a change once it has committed; of a change that failed to, never. */
  private emit(task: Task): void {
    if (this.listeners.size === 0) return;
    this.tasks.afterCommit((failed) => {
      if (failed !== undefined) return;
      for (const listener of this.listeners) {
        try {
          listener(task);
        } catch (error) {
          this.logger.error(`task listener failed: ${(error as Error).message}`);
        }
      }
    });
  }
}
