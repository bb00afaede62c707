/*
 * Over 400 lines, knowingly: the pool still claims and launches, keeps leases, tracks incidents,
 * books the group commit, runs the output check and applies the failure policy. Splitting it
 * along those jobs (with one named mode instead of its flags) is the open part of issue 19; see
 * docs/architecture.md, "Known debts".
 */
import { performance } from "node:perf_hooks";
import { formatDuration } from "../config/duration.js";
import type { CategoryConfig, Config } from "../config/schema.js";
import type { Clock } from "../core/clock.js";
import { coerceError, isStewardError } from "../core/errors.js";
import { TransientError } from "../core/failures.js";
import type { EscalationCause, TransitionStep } from "../core/ports.js";
import type { Task } from "../core/task.js";
import { briefOf } from "../core/task.js";
import type { QueueStore } from "../db/queue-store.js";
import type { IncidentRow } from "../db/schema.js";
import type { TaskStore } from "../db/task-store.js";
import { classifyError, errorSignature, type Failure } from "../policy/classify.js";
import { decide } from "../policy/decide.js";
import { checkOutput, parseVerdict } from "../policy/review.js";
import { Deadlines } from "./deadlines.js";
import type { WorkerResult, WorkerRunner, WorkerTask } from "./runner.js";

export interface PoolHooks {
  /** Inside the transaction that escalated the task. */
  onEscalated?(task: Task, cause: EscalationCause): void;
  /** Inside the transaction that opened a systemic incident. */
  onIncident?(incident: IncidentRow, task: Task): void;
  /**
   * Inside the transaction that completed a task: pipelines, delivery, notices. Returns the task
   * as it now stands when the hook changed it (a next step's link).
   */
  onDone?(task: Task): Task | undefined;
  /** Inside the transaction that sent a task back to its requester. */
  onClarify?(task: Task, note: string): void;
  /** A paused worker answered again: its incident is over. */
  onIncidentResolved?(worker: string): void;
  /** After any change committed, for progress displays. */
  onChange?(task: Task): void;
  /** A failure in the pool's own machinery (never a task's): logged, the loop goes on. */
  onError?(error: Error, context: string): void;
}

export interface PoolOptions {
  config: Config;
  tasks: TaskStore;
  queue: QueueStore;
  runners: ReadonlyMap<string, WorkerRunner>;
  clock: Clock;
  /** Who holds the leases: unique per process. */
  owner: string;
  env: Readonly<Record<string, string | undefined>>;
  configDir: string;
  leaseMs?: number;
  pollMs?: number;
  random?: () => number;
  hooks?: PoolHooks;
}

/**
 * How long passes may follow one another without a turn of the event loop in between: the
 * pass that ending runs ask for comes as a microtask, not a turn later. At C=1 every task costs
 * a pass, and a turn apiece is a measurable share of processing (docs/performance.md). After
 * this long the loop gets its turn, for timers (the group's commit) and I/O (requests coming in).
 */
const BURST_MS = 2;
/** How long passes take savepoints after one failed without (see pass). */
const CAREFUL_MS = 1_000;
const ROLLED_BACK =
  "its completion was rolled back with another write's failure; it will run again";
const SETTLED = Promise.resolve();

/** A claimed task, to start once its claim has committed. */
interface Launch {
  task: Task;
  attemptId: number;
  category: CategoryConfig;
  worker: string;
}

interface InFlight {
  taskId: number;
  category: string;
  controller: AbortController;
  done: Promise<void>;
}

/** A write waiting for the pool's next pass, committed with it (see `tick`). */
interface PendingWrite {
  /** The task whose run this write ends: its slot is free for the same pass's claims. */
  taskId: number;
  /** The run's signal: which run of the task this is. */
  signal: AbortSignal;
  work: () => void;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * The pool's work in the open group of writes, undone with it should it fail: runs whose claim
 * is there, and tasks whose completion is (see groupEnded).
 */
interface Unsaved {
  launched: InFlight[];
  completed: number[];
}

class ShutdownAbort extends Error {
  override name = "ShutdownAbort";
}

class CancelAbort extends Error {
  override name = "CancelAbort";
}

/** The run's claim was rolled back with its group: the task is queued again, the run void. */
class ClaimLost extends Error {
  override name = "ClaimLost";
}

/** A completion undone with its group through no fault of its own: its task runs again. */
class RolledBack extends Error {
  override name = "RolledBack";
}

/**
 * The in-process worker pool: claims due tasks per category up to its concurrency, runs them
 * under a renewed lease with a timeout, reviews the output, and applies the failure policy.
 */
export class WorkerPool {
  private readonly inFlight = new Map<number, InFlight>();
  /** The runs' time limits, on the engine's clock (a simulated month hangs a worker for hours). */
  private readonly deadlines: Deadlines;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly random: () => number;
  private readonly hooks: PoolHooks;
  /** Connection failures in a row per worker (no success between), and the tasks they hit. */
  private readonly connectionFailures = new Map<string, { count: number; tasks: Set<number> }>();
  private pausedWorkers = new Map<string, IncidentRow>();
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  /** Until start(), a pool only records: an engine built just to file tasks never runs them. */
  private stopping = true;
  private kickScheduled = false;
  /** When the passes running back to back began (see BURST_MS). */
  private burstStart = Number.NEGATIVE_INFINITY;
  private pendingWrites: PendingWrite[] = [];
  /** What the open group holds of the pool's work; undefined when it holds none. */
  private unsaved: Unsaved | undefined;
  /** Tasks still held under this pool's lease whose completion was rolled back: to requeue. */
  private orphans: number[] = [];
  /** Until when passes take savepoints (see pass). */
  private carefulUntil = Number.NEGATIVE_INFINITY;
  /** Due retries and expired leases are looked for when time may have made some: on a poll. */
  private housekeepingDue = true;
  /**
   * Categories whose last claim found nothing more due: passes skip them until something may
   * have been queued (a kick from outside, a promoted retry or expired lease, or the poll).
   */
  private readonly drained = new Set<string>();

  constructor(private readonly options: PoolOptions) {
    this.leaseMs = options.leaseMs ?? 60_000;
    this.pollMs = options.pollMs ?? 500;
    this.random = options.random ?? Math.random;
    this.hooks = options.hooks ?? {};
    this.deadlines = new Deadlines(options.clock);
    for (const incident of options.queue.openIncidents())
      this.pausedWorkers.set(incident.worker, incident);
  }

  /** Returns tasks a previous process left running to the queue, then starts polling. */
  start(): void {
    const recovered = this.options.queue.recoverLeases({
      everyLease: true,
      reason: "recovered at start-up: the process running it stopped",
    });
    for (const task of recovered) this.hooks.onChange?.(task);
    this.stopping = false;
    // The poll looks at every category: what was queued unannounced waits one poll at most.
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.heartbeat = setInterval(() => this.renewLeases(), Math.max(1000, this.leaseMs / 3));
    this.kick();
  }

  /** Something may have been queued: every category is looked at on the next pass. */
  kick(): void {
    this.lookAtEverything();
    this.passSoon();
  }

  /** The next pass looks at every category, due retries and expired leases. */
  private lookAtEverything(): void {
    this.drained.clear();
    this.housekeepingDue = true;
  }

  /** Makes a pass soon; coalesced so a burst of calls makes one pass. */
  private passSoon(): void {
    if (this.kickScheduled || (this.stopping && this.pendingWrites.length === 0)) return;
    this.kickScheduled = true;
    // Still coalesced: the runs that end together all queue their writes before this runs.
    // A promise's reaction, not queueMicrotask: Node wraps each of those in an AsyncResource.
    // (The pass cannot reject: `safely` catches what it throws.)
    if (performance.now() - this.burstStart < BURST_MS) void SETTLED.then(this.scheduledPass);
    else setImmediate(this.burstingPass);
  }

  /**
   * The callbacks of passSoon, made once: tsx names every closure as it is made (esbuild's
   * keepNames), which is not free on a path run once a task (docs/performance.md).
   */
  private readonly scheduledPass = () => {
    this.kickScheduled = false;
    this.safely("claiming tasks", () => this.pass());
  };

  private readonly burstingPass = () => {
    this.burstStart = performance.now();
    this.scheduledPass();
  };

  /** A pass now that looks at everything, as a poll does (simulations drive the pool with it). */
  tick(): number {
    this.lookAtEverything();
    return this.pass();
  }

  /**
   * One pass, one unit of work: write the completions since the last pass, promote due
   * retries, expire dead leases, claim tasks for the free slots, then start them. The pass is
   * grouped with the passes around it into one commit (see GroupCommit): the task that just
   * finished and the one that takes its slot share their pages. A claim is acted on before it
   * commits; a crash then leaves the task queued, to run again, as a crash mid-run would.
   *
   * A pass has no savepoint of its own (a savepoint copies the pages its unit touches, a large
   * share of processing; see docs/performance.md): if it fails half-way, the whole group is rolled
   * back. The failing write's error goes to its run; what else the group held is undone in memory
   * too (see groupEnded). For CAREFUL_MS after that, passes take savepoints again, each write its
   * own: a write that fails again is undone alone and its task left to lease recovery, instead of
   * rolling back everything around it each time its task runs again.
   */
  private pass(): number {
    const writes = this.pendingWrites.splice(0);
    if (this.stopping && writes.length === 0) return 0;
    for (const write of writes) this.leave(write);
    const { tasks } = this.options;
    // Careful passes note the writes that failed alone (see applyPass).
    const failed =
      performance.now() < this.carefulUntil ? new Map<PendingWrite, unknown>() : undefined;
    const progress: { failing?: PendingWrite } = {};
    let pass: { claimed: Launch[]; recovered: Task[] };
    try {
      // (Arrows made inline: tsx names a closure kept in a variable, at a cost every pass.)
      pass = failed
        ? tasks.grouped(() => this.applyPass(writes, progress, failed))
        : tasks.withoutSavepoint(() => this.applyPass(writes, progress));
    } catch (error) {
      const { failing } = progress;
      if (failed === undefined) this.carefulUntil = performance.now() + CAREFUL_MS;
      for (const write of writes) {
        if (write === failing) continue;
        if (failed?.has(write)) write.reject(failed.get(write));
        else {
          this.orphans.push(write.taskId);
          write.reject(new RolledBack(`T-${write.taskId}'s completion was rolled back`));
        }
      }
      if (failing === undefined) throw error;
      failing.reject(error);
      this.passSoon();
      return 0;
    }
    const written = failed?.size ? writes.filter((write) => !failed.has(write)) : writes;
    for (const write of writes) {
      if (failed?.has(write)) write.reject(failed.get(write));
      else write.resolve();
    }
    for (const task of pass.recovered) this.hooks.onChange?.(task);
    const launched: InFlight[] = [];
    for (const launch of pass.claimed) launched.push(this.launch(launch));
    this.holdUntilCommitted(written, launched);
    return pass.claimed.length;
  }

  /**
   * Inside the pass's unit: its writes, then its claims. With `failed`, each write has a
   * savepoint of its own, and one that throws is undone alone and noted there.
   */
  private applyPass(
    writes: readonly PendingWrite[],
    progress: { failing?: PendingWrite },
    failed?: Map<PendingWrite, unknown>,
  ): { claimed: Launch[]; recovered: Task[] } {
    for (const write of writes) {
      progress.failing = write;
      if (failed === undefined) write.work();
      else {
        try {
          this.options.tasks.transaction(write.work);
        } catch (error) {
          failed.set(write, error);
        }
      }
    }
    progress.failing = undefined;
    return this.stopping ? { claimed: [], recovered: [] } : this.claimDue();
  }

  /** A run's write is in: its slot is free, unless the task is another run's by now. */
  private leave(write: PendingWrite): void {
    if (this.inFlight.get(write.taskId)?.controller.signal === write.signal)
      this.inFlight.delete(write.taskId);
  }

  /** Remembers what a pass wrote until its group has committed (see groupEnded). */
  private holdUntilCommitted(writes: readonly PendingWrite[], launched: readonly InFlight[]): void {
    if (writes.length === 0 && launched.length === 0) return;
    let unsaved = this.unsaved;
    if (unsaved === undefined) {
      unsaved = { launched: [], completed: [] };
      this.unsaved = unsaved;
      const held = unsaved;
      this.options.tasks.afterCommit((error) => this.groupEnded(held, error));
    }
    for (const write of writes) unsaved.completed.push(write.taskId);
    for (const flight of launched) unsaved.launched.push(flight);
  }

  /**
   * The group holding `unsaved` committed, or failed and was rolled back. Then its claims are
   * gone: their runs are void (stopped, and nothing they do is written). Its completions are
   * gone: their tasks are back in running under this pool's lease with no run, so they go back
   * to the queue on the next pass, to run again.
   */
  private groupEnded(unsaved: Unsaved, error: Error | undefined): void {
    if (this.unsaved === unsaved) this.unsaved = undefined;
    if (error === undefined) return;
    for (const flight of unsaved.launched) {
      flight.controller.abort(new ClaimLost(`T-${flight.taskId}'s claim was rolled back`));
    }
    this.orphans.push(...unsaved.completed);
    this.passSoon();
  }

  /** Inside the pass's transaction: what can run now, claimed but not started yet. */
  private claimDue(): { claimed: Launch[]; recovered: Task[] } {
    const { queue, config } = this.options;
    let recovered: Task[] = [];
    if (this.orphans.length > 0) {
      const orphans = this.orphans.splice(0).filter((id) => !this.inFlight.has(id));
      recovered = queue.requeueHeld(orphans, this.options.owner, ROLLED_BACK);
      if (recovered.length > 0) this.drained.clear();
    }
    if (this.housekeepingDue) {
      this.housekeepingDue = false;
      const promoted = queue.promoteDueRetries();
      const expired = queue.recoverLeases({
        everyLease: false,
        reason: "lease expired: its worker stopped renewing it",
      });
      if (promoted > 0 || expired.length > 0) this.drained.clear();
      recovered = [...recovered, ...expired];
    }
    const claimed: Launch[] = [];
    for (const category of config.categories) {
      if (category.worker === undefined) continue;
      claimed.push(...this.claimFor(category, category.worker));
    }
    return { claimed, recovered };
  }

  /** Ends a run: resolves once `work` is written with the pool's next pass. */
  private writeWithNextPass(taskId: number, signal: AbortSignal, work: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pendingWrites.push({ taskId, signal, work, resolve, reject });
      this.passSoon();
    });
  }

  /** Stops claiming; waits for running tasks up to `graceMs`, then aborts and requeues them. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    const running = [...this.inFlight.values()];
    const finished = Promise.all(running.map((flight) => flight.done));
    let graceTimer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<"timeout">((resolve) => {
      graceTimer = setTimeout(() => resolve("timeout"), graceMs);
    });
    if ((await Promise.race([finished, graceOver])) === "timeout") {
      for (const flight of this.inFlight.values())
        flight.controller.abort(new ShutdownAbort("Steward is shutting down"));
      await Promise.all([...this.inFlight.values()].map((flight) => flight.done));
    }
    clearTimeout(graceTimer);
    clearInterval(this.heartbeat);
    this.deadlines.stop();
  }

  /** An operator's "retry" on an incident: probe the paused worker on the next pass. */
  probeNow(worker: string): void {
    const incident = this.pausedWorkers.get(worker);
    if (incident === undefined) return;
    const now = this.options.clock.now();
    this.options.queue.scheduleProbe(incident.id, now);
    this.pausedWorkers.set(worker, { ...incident, nextProbeAt: now });
    this.kick();
  }

  /** Stops the run of a task that was cancelled; its result, if any, is dropped. */
  abort(taskId: number): void {
    this.inFlight.get(taskId)?.controller.abort(new CancelAbort(`T-${taskId} was cancelled`));
  }

  /** Resolves when nothing is running (tests and benches). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0)
      await Promise.all([...this.inFlight.values()].map((flight) => flight.done));
  }

  get running(): number {
    return this.inFlight.size;
  }

  isPaused(worker: string): boolean {
    return this.pausedWorkers.has(worker);
  }

  private claimFor(category: CategoryConfig, worker: string): Launch[] {
    const incident = this.incidentOf(category);
    let slots = category.limits.concurrency - this.runningIn(category.name);
    if (slots <= 0 || this.drained.has(category.name)) return [];
    if (incident !== undefined) {
      // Paused: one task at a time serves as the probe, once the probe is due.
      if (this.options.clock.now() < incident.nextProbeAt || this.runningFor(incident.worker) > 0)
        return [];
      slots = Math.min(slots, 1);
    }
    const claimed = this.options.queue.claim(
      category.name,
      worker,
      slots,
      this.options.owner,
      this.leaseMs,
    );
    if (claimed.length < slots) this.drained.add(category.name);
    if (incident !== undefined && claimed.length > 0) {
      this.options.queue.scheduleProbe(
        incident.id,
        this.options.clock.now() + this.options.config.policies.systemic.probe_every,
      );
      this.pausedWorkers.set(incident.worker, {
        ...incident,
        nextProbeAt: this.options.clock.now() + this.options.config.policies.systemic.probe_every,
      });
    }
    return claimed.map(({ task, attemptId }) => ({ task, attemptId, category, worker }));
  }

  private launch({ task, attemptId, category, worker }: Launch): InFlight {
    this.hooks.onChange?.(task);
    const controller = new AbortController();
    const flight: InFlight = {
      taskId: task.id,
      category: category.name,
      controller,
      done: Promise.resolve(),
    };
    flight.done = this.execute(task, attemptId, category, worker, controller)
      .catch((error: unknown) => this.hooks.onError?.(coerceError(error), `running T-${task.id}`))
      .finally(() => {
        // A run ended by a pass has left already, its slot refilled by that pass.
        if (this.inFlight.get(task.id) !== flight) return;
        this.inFlight.delete(task.id);
        this.passSoon();
      });
    this.inFlight.set(task.id, flight);
    return flight;
  }

  private async execute(
    task: Task,
    attemptId: number,
    category: CategoryConfig,
    worker: string,
    controller: AbortController,
  ): Promise<void> {
    const { config, env, configDir } = this.options;
    const { timeout } = config.workers[worker]!;
    const deadline = this.deadlines.watch(timeout, () =>
      controller.abort(new Error(`timed out after ${formatDuration(timeout)}`)),
    );
    let result: WorkerResult;
    try {
      result = await this.runner(worker)(this.workerTask(task), {
        signal: controller.signal,
        env,
        configDir,
      });
    } catch (error) {
      if (this.stoppedByUs(task, attemptId, controller.signal)) return;
      this.fail(task, attemptId, worker, classifyError(error, config.policies.classify));
      return;
    } finally {
      this.deadlines.release(deadline);
    }
    this.connectionFailures.delete(worker);
    this.resolveIncident(worker);
    await this.review(task, attemptId, category, result, controller.signal);
  }

  /** A run stopped by shutdown or cancel is no failure of the task: requeue it or drop it. */
  private stoppedByUs(task: Task, attemptId: number, signal: AbortSignal): boolean {
    // Nothing of the run is stored (its attempt's id may be another's by now): nothing to write.
    if (voided(signal)) return true;
    if (signal.reason instanceof ShutdownAbort) {
      this.requeueForShutdown(task, attemptId);
      return true;
    }
    if (signal.reason instanceof CancelAbort) {
      this.abandon(attemptId, "cancelled while running");
      return true;
    }
    return false;
  }

  /** Checks the output against the category's criteria before it may be done. */
  private async review(
    task: Task,
    attemptId: number,
    category: CategoryConfig,
    result: WorkerResult,
    signal: AbortSignal,
  ): Promise<void> {
    const { tasks, env, configDir } = this.options;
    if (voided(signal)) return;
    const reasons = checkOutput(result.output, category.review.checks);
    const reviewer = category.review.reviewer;
    const straightToDone = reasons.length === 0 && reviewer === undefined;
    // Cancelled (or otherwise moved) while the worker ran: its output is no longer wanted.
    // (Straight to done, the pass's write checks it, as late as it can be.)
    if (!straightToDone && tasks.stateOf(task.id) !== "running") {
      this.abandon(attemptId, "the task moved on while it ran");
      return;
    }
    const reviewing: TransitionStep = {
      to: "reviewing",
      actor: `worker:${category.worker}`,
      reason: "output ready for review",
      patch: {
        output: result.output,
        outputMeta: result.meta ?? null,
        leaseExpiresAt: this.options.clock.now() + this.leaseMs,
      },
    };
    if (reasons.length > 0) {
      tasks.advance(task.id, [reviewing]);
      this.fail(task, attemptId, category.worker!, logicFailure(reasons));
      return;
    }
    if (reviewer === undefined) {
      // Structural checks only: through reviewing to done in one write, with the next pass.
      let done: Task | undefined;
      const written = this.writeWithNextPass(task.id, signal, () => {
        if (voided(signal)) return;
        try {
          done = this.complete(task.id, attemptId, result, { reviewing, claimed: task });
        } catch (error) {
          // Cancelled between the run and the pass: the output is no longer wanted (the move
          // refused before it wrote anything).
          if (!isStewardError(error, "task_moved")) throw error;
          this.abandon(attemptId, "the task moved on while it ran");
        }
      });
      try {
        await written;
      } catch (error) {
        // Undone with another write's failure: the task goes back to the queue (see pass).
        if (error instanceof RolledBack) return;
        throw error;
      }
      if (done !== undefined) this.hooks.onChange?.(done);
      return;
    }
    this.hooks.onChange?.(tasks.advance(task.id, [reviewing]));
    let verdictReasons: string[];
    try {
      // Cancel and shutdown stop the reviewer as they stop the worker.
      const timeout = AbortSignal.timeout(this.options.config.workers[reviewer]!.timeout);
      const review = await this.runner(reviewer)(
        { ...this.workerTask(task), brief: reviewBrief(task, result.output) },
        { signal: AbortSignal.any([signal, timeout]), env, configDir },
      );
      // It answered: whatever the verdict, the reviewer's dependency is up.
      this.connectionFailures.delete(reviewer);
      this.resolveIncident(reviewer);
      const verdict = parseVerdict(review.output);
      if (verdict === undefined) {
        // The reviewer's failure, not the output's: no rejection for the worker to act on.
        throw new TransientError(
          `the reviewer's answer was not a verdict: ${review.output.slice(0, 200)}`,
        );
      }
      verdictReasons = verdict.pass
        ? []
        : verdict.reasons.length > 0
          ? verdict.reasons
          : ["rejected by the reviewer"];
    } catch (error) {
      if (this.stoppedByUs(task, attemptId, signal)) return;
      // The reviewer itself failing is not the output's fault: treat it as a transient failure.
      this.fail(
        task,
        attemptId,
        reviewer,
        classifyError(error, this.options.config.policies.classify),
      );
      return;
    }
    if (voided(signal)) return;
    if (verdictReasons.length > 0) {
      this.fail(task, attemptId, category.worker!, logicFailure(verdictReasons));
      return;
    }
    if (tasks.stateOf(task.id) !== "reviewing") {
      // Cancelled while the reviewer judged, its verdict too late to stop: nothing to complete.
      this.abandon(attemptId, "the task moved on while it was reviewed");
      return;
    }
    this.hooks.onChange?.(tasks.transaction(() => this.complete(task.id, attemptId, result)));
  }

  /**
   * Returns the task as committed, with whatever its `onDone` hook wrote (a next step's link).
   * `straight`: a run going straight from running to done, with the step into review and the
   * task as claimed. Still running, it differs from its row only in the lease, which done
   * clears, so the move starts from it instead of reading the row.
   */
  private complete(
    taskId: number,
    attemptId: number,
    result: WorkerResult,
    straight?: { reviewing: TransitionStep; claimed: Task },
  ): Task {
    const { tasks, queue } = this.options;
    const done: TransitionStep = {
      to: "done",
      actor: "system",
      reason: "output passed review",
      patch: { leaseOwner: null, leaseExpiresAt: null, failureClass: null, lastError: null },
    };
    const completed =
      straight === undefined
        ? tasks.advance(taskId, [done])
        : tasks.advance(taskId, [straight.reviewing, done], straight.claimed);
    queue.finishAttempt(attemptId, "succeeded", { meta: result.meta });
    return this.hooks.onDone?.(completed) ?? completed;
  }

  /** The attempt ends without a verdict on the task: its result, if any, is not wanted. */
  private abandon(attemptId: number, why: string): void {
    this.options.queue.finishAttempt(attemptId, "abandoned", { error: why });
  }

  /** Applies the failure policy: retry, clarify, escalate or pause the worker. */
  private fail(task: Task, attemptId: number, worker: string, failure: Failure): void {
    const { tasks, queue, config, clock } = this.options;
    const failureNow = this.escalateConnectionFailures(worker, task.id, failure);
    const current = tasks.require(task.id);
    if (current.state !== "running" && current.state !== "reviewing") {
      this.abandon(attemptId, `the task moved to ${current.state} while it ran`);
      return;
    }
    const sameLogicFailures =
      failureNow.failureClass === "logic"
        ? 1 +
          queue
            .attemptsOf(task.id)
            .filter(
              (a) =>
                a.failureClass === "logic" &&
                a.error !== null &&
                errorSignature(a.error) === errorSignature(failureNow.message),
            ).length
        : 0;
    const decision = decide(
      {
        failure: failureNow,
        attempt: current.attempts,
        maxAttempts: current.maxAttempts,
        sameLogicFailures,
      },
      config.policies,
      this.random,
    );
    const base = {
      failureClass: failureNow.failureClass,
      lastError: failureNow.message,
      leaseOwner: null,
      leaseExpiresAt: null,
    };
    const data = {
      attempt: current.attempts,
      failureClass: failureNow.failureClass,
      error: failureNow.message,
      worker,
    };
    const moved = tasks.transaction((): Task => {
      queue.finishAttempt(attemptId, "failed", {
        failureClass: failureNow.failureClass,
        error: failureNow.message,
      });
      switch (decision.action) {
        case "retry":
          return tasks.transition(task.id, "retry_wait", {
            actor: "system",
            reason: decision.reason,
            data,
            patch: {
              ...base,
              nextRunAt: clock.now() + decision.delayMs,
              feedback: failureNow.reasons
                ? [...current.feedback, ...failureNow.reasons]
                : current.feedback,
            },
          });
        case "clarify": {
          const moved = tasks.transition(task.id, "needs_clarification", {
            actor: "system",
            reason: decision.reason,
            data,
            patch: base,
          });
          this.hooks.onClarify?.(moved, failureNow.message);
          return moved;
        }
        case "escalate": {
          const moved = tasks.transition(task.id, "escalated", {
            actor: "system",
            reason: decision.reason,
            data,
            patch: base,
          });
          this.hooks.onEscalated?.(moved, {
            reason: decision.reason,
            failureClass: failureNow.failureClass,
            worker,
            error: failureNow.message,
          });
          return moved;
        }
        case "pause": {
          // The task did nothing wrong: it goes back to wait, and the attempt is not counted.
          const moved = tasks.transition(task.id, "queued", {
            actor: "system",
            reason: `${decision.reason}; ${worker} paused until a probe succeeds`,
            data,
            // One more attempt in the budget: numbering stays unique, the budget unburned.
            patch: { ...base, maxAttempts: current.maxAttempts + 1, nextRunAt: clock.now() },
          });
          const { incident, opened } = queue.openIncident(
            worker,
            failureNow.message,
            config.policies.systemic.probe_every,
          );
          this.pausedWorkers.set(worker, incident);
          if (opened) this.hooks.onIncident?.(incident, moved);
          return moved;
        }
      }
    });
    // The moved row as committed: no second read on the failure path.
    this.hooks.onChange?.(moved);
  }

  /**
   * N connection failures in a row, with no success between, mean the dependency is down:
   * counted over attempts, not distinct tasks, so a quiet hour (one task retrying alone) is
   * recognised as an outage as fast as a busy one, before the retries run out as "transient".
   */
  private escalateConnectionFailures(worker: string, taskId: number, failure: Failure): Failure {
    if (!failure.connection) {
      this.connectionFailures.delete(worker);
      return failure;
    }
    const seen = this.connectionFailures.get(worker) ?? { count: 0, tasks: new Set<number>() };
    seen.count += 1;
    seen.tasks.add(taskId);
    this.connectionFailures.set(worker, seen);
    const threshold = this.options.config.policies.systemic.after_consecutive;
    if (seen.count < threshold && !this.pausedWorkers.has(worker)) return failure;
    const across = seen.tasks.size > 1 ? " across tasks" : "";
    return {
      ...failure,
      failureClass: "systemic",
      message: `${failure.message} (${seen.count} consecutive connection failures${across})`,
    };
  }

  private resolveIncident(worker: string): void {
    const incident = this.pausedWorkers.get(worker);
    if (incident === undefined) return;
    this.options.queue.resolveIncident(incident.id);
    this.pausedWorkers.delete(worker);
    this.hooks.onIncidentResolved?.(worker);
    this.kick();
  }

  private requeueForShutdown(task: Task, attemptId: number): void {
    const { tasks } = this.options;
    tasks.transaction(() => {
      this.abandon(attemptId, "Steward shut down before it finished");
      const current = tasks.require(task.id);
      if (current.state === "running" || current.state === "reviewing") {
        tasks.transition(task.id, "queued", {
          actor: "system",
          reason: "Steward shut down before it finished; it will run again",
          patch: {
            maxAttempts: current.maxAttempts + 1,
            leaseOwner: null,
            leaseExpiresAt: null,
            nextRunAt: this.options.clock.now(),
          },
        });
      }
    });
  }

  private renewLeases(): void {
    this.safely("renewing leases", () =>
      this.options.queue.renewLeases([...this.inFlight.keys()], this.options.owner, this.leaseMs),
    );
  }

  private runner(worker: string): WorkerRunner {
    const runner = this.options.runners.get(worker);
    if (runner === undefined) throw new Error(`no runner for worker "${worker}"`);
    return runner;
  }

  private workerTask(task: Task): WorkerTask {
    const brief = briefOf(task);
    const feedback = task.feedback;
    return {
      id: task.id,
      category: task.category,
      requester: task.requester,
      source: task.source,
      attempt: task.attempts,
      brief:
        feedback.length === 0
          ? brief
          : {
              ...brief,
              constraints: [
                ...brief.constraints,
                ...feedback.map((reason) => `A reviewer rejected an earlier attempt: ${reason}`),
              ],
            },
    };
  }

  private runningIn(category: string): number {
    let count = 0;
    for (const flight of this.inFlight.values()) if (flight.category === category) count++;
    return count;
  }

  /** Runs that use the worker, as the category's worker or as its reviewer. */
  private runningFor(worker: string): number {
    let count = 0;
    for (const flight of this.inFlight.values()) {
      const category = this.options.config.categories.find((c) => c.name === flight.category);
      if (category?.worker === worker || category?.review.reviewer === worker) count++;
    }
    return count;
  }

  /** A category waits while its worker or its reviewer is paused: either fails every task. */
  private incidentOf(category: CategoryConfig): IncidentRow | undefined {
    const { worker, review } = category;
    const ofWorker = worker === undefined ? undefined : this.pausedWorkers.get(worker);
    if (ofWorker !== undefined || review.reviewer === undefined) return ofWorker;
    return this.pausedWorkers.get(review.reviewer);
  }

  private safely(context: string, work: () => unknown): void {
    try {
      work();
    } catch (error) {
      this.hooks.onError?.(coerceError(error), context);
    }
  }
}

/** The run's claim was rolled back (see groupEnded): nothing it does may be written. */
function voided(signal: AbortSignal): boolean {
  return signal.reason instanceof ClaimLost;
}

function logicFailure(reasons: string[]): Failure {
  return {
    failureClass: "logic",
    message: reasons.join("; "),
    reasons,
    byReview: true,
    connection: false,
  };
}

/** What a reviewer worker is asked: judge this output against the task's criteria. */
function reviewBrief(task: Task, output: string): WorkerTask["brief"] {
  return {
    objective: `Review the output of T-${task.id} against its acceptance criteria. Answer only JSON: {"pass": true|false, "reasons": ["…"]}`,
    inputs: [`Task objective: ${task.objective}`, `Output to review:\n${output}`],
    constraints: task.constraints,
    output_format: 'JSON {"pass": boolean, "reasons": string[]}',
    acceptance_criteria: task.acceptanceCriteria,
  };
}
