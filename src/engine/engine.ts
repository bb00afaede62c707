import { coerceError, describeError } from "../core/errors.js";
import type { EscalationCause } from "../core/ports.js";
import { STALE_AFTER_MS } from "../core/processes.js";
import { quietRepeats } from "../core/quiet-repeats.js";
import { everyRole, observedRoles, type Roles } from "../core/roles.js";
import type { Actor } from "../core/states.js";
import type { Task } from "../core/task.js";
import type { EscalationOutcome, EscalationRequest } from "../escalation/decisions.js";
import type { Person } from "../escalation/operators.js";
import {
  type FieldValues,
  type IntakeResult,
  planFiling,
  type RawRequest,
} from "../intake/intake.js";
import { type CheckerDeps, type CheckSummary, runChecks } from "../monitor/checker.js";
import { Heartbeat, onOtherConfigs, thisProcess } from "./heartbeat.js";
import { ModelQuestions } from "./models.js";
import { type MonitorSchedule, startMonitor } from "./monitor-schedule.js";
import { type EngineOptions, EngineReads } from "./reads.js";
import { RoleJob, type RoleWork } from "./role-job.js";
import { LEARNING_REFRESH_MS } from "./routing-learning.js";
import { TaskCommands } from "./task-commands.js";
import type { WiringHooks } from "./wiring.js";

export type { EscalationOutcome, EscalationRequest } from "../escalation/decisions.js";
export type { EngineLearning, EngineOptions, EngineOutbox } from "./reads.js";
export type { TaskDetail } from "./status.js";

export type TaskListener = (task: Task) => void;

export interface SubmitOptions {
  /** Filed as it is, without asking the configured models (as `plan`'s `rulesOnly`). */
  rulesOnly?: boolean;
  /** Written in the filing's unit of work, and undone with it (a schedule's cursor). */
  alongside?: () => Promise<void>;
}

/**
 * The application: every door (Discord, console, webhooks, schedules) calls these methods, and
 * every change a person should hear about lands in the outbox with the change. Its stores are
 * its own: doors read through `EngineReads` and change things only by the commands below.
 */
export class Engine extends EngineReads {
  private readonly models: ModelQuestions;
  private readonly commands: TaskCommands;
  private readonly listeners = new Set<TaskListener>();
  private readonly checkListeners = new Set<(summary: CheckSummary) => void>();
  /** The roles' jobs this process runs while it holds them: the checker, the batcher. */
  private jobs: RoleJob[] = [];
  /** The roles `start` was given, observed for the heartbeat (`roles`). */
  private asked: Roles | undefined;
  /** The checker's schedule, while this process holds the checker's role. */
  private monitor: MonitorSchedule | undefined;
  private heartbeat: Heartbeat<"async"> | undefined;
  /** The timer that learns what other processes learned and forgot (`relearnEvery`). */
  private relearning: NodeJS.Timeout | undefined;
  /**
   * Failures of what runs on a timer (the pool, the escalation flush; the heartbeat's warnings):
   * while the database is down, a line a minute, not one a tick.
   */
  private readonly timerErrors = quietRepeats(
    (line) => this.logger.error(line),
    () => this.clock.now(),
  );
  private readonly heartbeatWarnings = quietRepeats(
    (line) => this.logger.warn(line),
    () => this.clock.now(),
  );

  constructor(options: EngineOptions) {
    super(options, (self) => (self as Engine).hooks());
    const { parts } = this;
    this.commands = new TaskCommands({
      config: this.config,
      clock: this.clock,
      logger: this.logger,
      parts,
      changed: (task) => this.changed(task),
    });
    this.models = new ModelQuestions({
      config: this.config,
      logger: this.logger,
      router: parts.router,
      intake: parts.intake,
      learning: parts.learning,
      isReplay: async (request) =>
        request.dedupeKey !== undefined &&
        (await parts.store.tasks.findByDedupeKey(request.source, request.dedupeKey)) !== undefined,
    });
  }

  /** What the engine does when its parts act: called once they run, never while they are built. */
  private hooks(): WiringHooks {
    return {
      onDone: (task) => this.commands.completed(task),
      onClarify: (task, note) => this.commands.clarify(task, note),
      escalated: (task, cause) => this.commands.escalated(task, cause),
      incidentResolved: (worker) => this.parts.escalations.recovered(worker),
      changed: (task) => this.emit(task),
      error: (error, context) =>
        this.timerErrors(`worker pool: ${context}: ${describeError(error)}`),
    };
  }

  /**
   * Starts the pool and the heartbeat, and asks `roles` for the checker's and the escalation
   * batcher's roles (every role is this process's on SQLite); resolves once the leases a previous
   * process left are recovered and this process is registered.
   */
  async start(options: { roles?: Roles } = {}): Promise<void> {
    const roles = observedRoles(options.roles ?? everyRole(), () => this.heartbeat?.beatNow());
    this.asked = roles;
    const recovering = this.pool.start();
    this.jobs = [
      new RoleJob("checker", this.checkerJob(), this.logger),
      new RoleJob("escalations", this.batcherJob(), this.logger),
    ];
    this.relearning = this.relearnEvery(LEARNING_REFRESH_MS);
    for (const job of this.jobs) job.holdWith(roles);
    const { heartbeat, registered } = this.startHeartbeat(roles);
    this.heartbeat = heartbeat;
    await Promise.all([recovering, registered]);
  }

  /**
   * The roles given to `start`, for the jobs the composition root runs with them (the
   * schedules, delivery, Discord): what this process holds is then said at once by its heartbeat.
   */
  get roles(): Roles {
    if (this.asked === undefined) throw new Error("the engine is not started");
    return this.asked;
  }

  /** What the status checker reads and writes, scheduled or run on demand. */
  private checkerDeps(): CheckerDeps {
    const { monitor: queries, outbox, processes } = this.parts.store;
    return { config: this.config, queries, outbox, processes, logger: this.logger };
  }

  /** The status checker on its schedule. */
  private checkerJob(): RoleWork {
    return {
      // Created on start, not before: croner starts its timer as soon as the job exists.
      start: () => {
        this.monitor = startMonitor({
          ...this.checkerDeps(),
          clock: this.clock,
          onRun: (summary) => {
            for (const listener of this.checkListeners) listener(summary);
          },
        });
      },
      stop: () => {
        this.monitor?.stop();
        this.monitor = undefined;
      },
    };
  }

  /**
   * What other processes learned and forgot (`RoutingLearning.refresh`): on a shared store their
   * workers' confirmations; on any, `steward routing forget` run beside this process.
   */
  private relearnEvery(ms: number): NodeJS.Timeout {
    const relearn = () =>
      this.parts.learning
        .refresh()
        .catch((error: Error) =>
          this.timerErrors(`refreshing what routing learned: ${describeError(error)}`),
        );
    return setInterval(relearn, ms).unref();
  }

  /** Posts the escalations whose batching window is over, and reminders. */
  private batcherJob(): RoleWork {
    let timer: NodeJS.Timeout | undefined;
    // The batching window is the latency floor of an escalation; checking 10× per window is plenty.
    const every = Math.min(5_000, Math.max(50, this.config.escalation.batch_window / 10));
    return {
      start: () => {
        timer = setInterval(() => void this.flushEscalations(), every);
      },
      stop: () => clearInterval(timer),
    };
  }

  /**
   * Registers this process and beats while it runs (`steward status` lists it), with the roles
   * it holds at each beat. On SQLite one process owns the database, so whoever registered
   * before is gone (as every lease is void at start-up).
   */
  private startHeartbeat(roles: Roles): {
    heartbeat: Heartbeat<"async">;
    registered: Promise<void>;
  } {
    const registry = this.parts.store.processes;
    const current = () => ({ roles: [...roles.held()], categories: this.pool.categories });
    const fingerprint = this.config.fingerprint ?? "";
    const entry = thisProcess(this.parts.processId, fingerprint, current());
    const heartbeat = new Heartbeat(registry, entry, {
      current,
      onError: (error) => this.heartbeatWarnings(`heartbeat: ${describeError(error)}`),
    });
    const starting = async () => {
      if (!roles.shared) {
        const { live, stale } = await registry.list(0);
        for (const earlier of [...live, ...stale]) await registry.gone(earlier.id);
      }
      await heartbeat.start();
      if (roles.shared) await this.warnOfOtherConfigs(fingerprint);
    };
    const registered = starting().catch((error: Error) =>
      this.heartbeatWarnings(`heartbeat: ${describeError(error)}`),
    );
    return { heartbeat, registered };
  }

  /** Processes already on the shared database that run another config file: a line at start. */
  private async warnOfOtherConfigs(fingerprint: string): Promise<void> {
    const { live } = await this.parts.store.processes.list(STALE_AFTER_MS);
    const others = onOtherConfigs(live, fingerprint);
    if (others.length === 0) return;
    this.logger.warn(
      "not every process runs this config file: give every host the same steward.yaml (and corpus)",
      {
        config: fingerprint,
        others: others.map(({ host, pid, config }) => ({ host, pid, config })),
      },
    );
  }

  async stop(graceMs?: number): Promise<void> {
    // Requests already taken in are filed (and queued for the next start), not dropped: those
    // still waiting on a model are read and routed by the rules now, the trace saying why.
    await this.models.stop();
    await this.parts.filings.fileWaiting();
    await Promise.all(this.jobs.map((job) => job.close()));
    this.jobs = [];
    clearInterval(this.relearning);
    await this.pool.stop(graceMs);
    await this.heartbeat?.close();
    this.heartbeat = undefined;
    await this.parts.store.committed();
  }

  /**
   * What filing `request` would do, storing nothing: the same models as `submit` (unless
   * `rulesOnly`), the brief with what was filled in, what is missing and the state it would
   * enter. The dry run and `route --eval` show this.
   */
  async plan(request: RawRequest, options: { rulesOnly?: boolean } = {}) {
    const asked = options.rulesOnly ? request : await this.withModels(request);
    return planFiling(this.config, this.router, asked);
  }

  // ---- Commands ----

  /**
   * An operator's decision on an escalation: applied to every waiting task of the group, or
   * to one. Refused for non-operators; a stale button changes nothing and says why.
   */
  async actOnEscalation(
    escalationId: number,
    request: EscalationRequest,
    person: Person,
    onlyTaskId?: number,
  ): Promise<EscalationOutcome> {
    return this.commands.actOnEscalation(escalationId, request, person, onlyTaskId);
  }

  /** Escalates a task from wherever it is (the status checker, an operator), staged like any other. */
  async escalate(taskId: number, cause: EscalationCause, actor: Actor = "system"): Promise<Task> {
    return this.commands.escalate(taskId, cause, actor);
  }

  /** The requester's answer to a clarification, or an operator's edit of the brief. */
  async answer(taskId: number, answer: { text?: string; fields?: FieldValues }, actor: Actor) {
    return this.commands.answer(taskId, answer, actor);
  }

  async cancel(taskId: number, actor: Actor, reason = "cancelled"): Promise<Task> {
    return this.commands.cancel(taskId, actor, reason);
  }

  /** An operator's "try again": a fresh set of attempts from the queue. */
  async retry(taskId: number, actor: Actor): Promise<Task> {
    return this.commands.retry(taskId, actor);
  }

  /** An operator's "this belongs elsewhere": the new category is recorded as the deciding rule. */
  async reroute(taskId: number, categoryName: string, actor: Actor): Promise<Task> {
    return this.commands.reroute(taskId, categoryName, actor);
  }

  /** The output reached its destination: what the status checker's delivery rule looks for. */
  async markDelivered(taskId: number): Promise<void> {
    await this.commands.markDelivered(taskId);
  }

  /** The output pump put a task's output where its brief said (`where`, in words). */
  async outputDelivered(taskId: number, where: string): Promise<void> {
    await this.commands.outputDelivered(taskId, where);
  }

  /** A destination Steward refuses: the requester hears why; the output stays on the task. */
  async outputRefused(taskId: number, reason: string): Promise<void> {
    await this.commands.outputRefused(taskId, reason);
  }

  /** Runs the status checker now (on demand, or on a simulated clock). */
  async checkNow(): Promise<CheckSummary> {
    if (this.monitor !== undefined) return this.monitor.runNow();
    const summary = await runChecks(this.checkerDeps(), this.clock.now());
    for (const listener of this.checkListeners) listener(summary);
    return summary;
  }

  /** Told after each status-checker run (metrics). */
  onCheck(listener: (summary: CheckSummary) => void): () => void {
    this.checkListeners.add(listener);
    return () => this.checkListeners.delete(listener);
  }

  /** Progress displays (task cards) subscribe here; called after each committed change. */
  onTaskChange(listener: TaskListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Queues the review of each of `months` not queued before, and moves the review schedule's
   * cursor in the same write: each month is posted once. Returns the months queued.
   */
  async queueReviews(
    months: readonly string[],
    cursor: { schedule: string; tick: number },
  ): Promise<string[]> {
    const { tasks, schedules, reviewPosts, outbox } = this.parts.store;
    const now = this.clock.now();
    return tasks.write(async () => {
      await schedules.record(cursor.schedule, cursor.tick);
      const queued: string[] = [];
      for (const month of months) {
        if (!(await reviewPosts.claim(month, now))) continue;
        await outbox.add({ kind: "review_report", month }, `review:${month}`);
        queued.push(month);
      }
      return queued;
    });
  }

  /** Posts the escalation groups whose batching window is over. */
  async flushEscalations(): Promise<number> {
    try {
      return await this.parts.escalations.flush();
    } catch (error) {
      this.timerErrors(`escalation flush failed: ${describeError(coerceError(error))}`);
      return 0;
    }
  }

  /**
   * A request from any door → a task (or the earlier one, for a replayed delivery). Asks the
   * configured models first (`withModels`) unless `rulesOnly`, and shares its commit with the
   * requests around it: it resolves once the task is committed, so an acknowledgement sent then
   * is never taken back by a crash. `alongside` is written in the same unit as the filing and
   * undone with it (a schedule's cursor).
   */
  async submit(request: RawRequest, options: SubmitOptions = {}): Promise<IntakeResult> {
    const { filings, intake, learning } = this.parts;
    const asking = !options.rulesOnly && this.models.asks(request);
    let filed: Promise<IntakeResult>;
    if (!asking && request.dedupeKey === undefined) {
      // Nothing to wait for: handed to filing in this turn (the common path, without a hop).
      filed = filings.add(intake.plan(request), options.alongside);
    } else {
      // Tracked until the filing is handed over (wrapped, so not until it commits): `stop` then
      // files it with the others before it closes.
      const handed = this.models.track(
        (asking ? this.withModels(request) : Promise.resolve(request)).then(async (asked) => ({
          filed: filings.add(await intake.prepare(asked), options.alongside),
        })),
      );
      ({ filed } = await handed);
    }
    const result = await filed;
    // A replayed delivery returned the earlier task: no news.
    if (result.duplicate) return result;
    if (learning.choseCategory(result.task)) await learning.filedExplicitly(result.task);
    this.changed(result.task);
    return result;
  }

  /**
   * The request with what the configured models made of it: the intake agent's reading, then
   * the LLM classifier's routing unless the agent named the category. Unchanged when no model is
   * configured or none needs asking (a replayed delivery, Steward stopping). `submit` asks them.
   */
  withModels(request: RawRequest): Promise<RawRequest> {
    return this.models.withModels(request);
  }

  private changed(task: Task): void {
    this.emit(task);
    if (task.state === "queued") this.pool.kick();
  }

  /** Listeners hear of a change once it has committed; of a change that failed to, never. */
  private emit(task: Task): void {
    if (this.listeners.size === 0) return;
    this.parts.store.tasks.afterCommit((failed) => {
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
