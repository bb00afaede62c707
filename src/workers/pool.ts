import type { CategoryConfig, Config } from "../config/schema.js";
import type { Clock } from "../core/clock.js";
import { coerceError } from "../core/errors.js";
import type { Incident, QueueRepository, TaskRepository } from "../core/ports.js";
import { STALE_AFTER_MS } from "../core/processes.js";
import { RESOLVED } from "../core/resolved.js";
import { Serial } from "../core/serial.js";
import type { Task } from "../core/task.js";
import { PolicyApplier, type PolicyHooks } from "./apply-policy.js";
import { AttemptRunner } from "./attempt.js";
import { Deadlines } from "./deadlines.js";
import { type IncidentOwner, IncidentTracker } from "./incidents.js";
import { Leases } from "./leases.js";
import { CancelAbort, LeaseLost, ShutdownAbort } from "./outcome.js";
import { OutputCheck, type OutputCheckHooks } from "./output-check.js";
import { type Launched, PassBatch, type PassOwner } from "./pass-batch.js";
import { PassScheduler } from "./pass-scheduler.js";
import { RunStop } from "./run-stop.js";
import type { WorkerSetup } from "./runner.js";

export interface PoolHooks extends PolicyHooks, OutputCheckHooks, Omit<IncidentOwner, "kick"> {
  /** After any change committed, for progress displays. */
  onChange?(task: Task): void;
  /** A failure in the pool's own machinery (never a task's): logged, the loop goes on. */
  onError?(error: Error, context: string): void;
}

export interface PoolOptions extends WorkerSetup {
  config: Config;
  tasks: TaskRepository<"async">;
  queue: QueueRepository<"async">;
  clock: Clock;
  /** Who holds the leases: unique per process. */
  owner: string;
  leaseMs?: number;
  pollMs?: number;
  random?: () => number;
  hooks?: PoolHooks;
  /** Only these categories' tasks are claimed (`steward worker --categories`); all by default. */
  categories?: readonly string[];
  /** At most this many tasks run at once in this process, whatever the categories allow. */
  concurrency?: number;
  /**
   * Other processes work the same store: at start-up only expired leases are recovered (the
   * rest are theirs), not every lease as when this process is the only one.
   */
  shared?: boolean;
}

/**
 * The pool's mode:
 * - `idle`: built, not started. It only records: an engine built just to file tasks never runs
 *   them (passes still write what ends, claim nothing).
 * - `running`: polling, claiming due tasks for free slots.
 * - `draining`: `stop` was called: no more claims; runs in flight finish (or are aborted after
 *   the grace period) and their writes still go in.
 * - `stopped`: nothing runs; `start` may run it again.
 */
export type PoolMode = "idle" | "running" | "draining" | "stopped";

/** A claimed task, to start once its claim has committed. */
interface Launch {
  task: Task;
  attemptId: number;
  category: CategoryConfig;
  worker: string;
}

interface InFlight extends Launched {
  category: string;
  done: Promise<void>;
}

/**
 * The in-process worker pool: claims due tasks per category up to its concurrency and launches
 * each as an attempt (attempt.ts: the worker under a deadline, the output check), whose outcome
 * it applies (apply-policy.ts). Its passes are batched into the group commit by pass-batch.ts,
 * its leases kept by leases.ts, paused workers tracked by incidents.ts.
 */
export class WorkerPool {
  private mode: PoolMode = "idle";
  private readonly inFlight = new Map<number, InFlight>();
  private readonly deadlines: Deadlines;
  private readonly pollMs: number;
  private readonly hooks: PoolHooks;
  private readonly leases: Leases;
  private readonly incidents: IncidentTracker;
  private readonly policy: PolicyApplier;
  private readonly attempts: AttemptRunner;
  private readonly batch: PassBatch<Launch>;
  private readonly scheduler: PassScheduler;
  /** Passes run one at a time, scheduled or ticked. */
  private readonly passes = new Serial();
  /** Start-up's recovery and reads: passes that claim wait for it. */
  private ready: Promise<void> = Promise.resolve();
  /** `ready` has settled: a pass need not wait on it (a promise's hop each pass otherwise). */
  private recovered = true;
  private timer: NodeJS.Timeout | undefined;
  /** Due retries and expired leases are looked for when time may have made some: on a poll. */
  private housekeepingDue = true;
  /**
   * Categories whose last claim found nothing more due: passes skip them until something may
   * have been queued (a kick from outside, a promoted retry or expired lease, or the poll).
   */
  private readonly drained = new Set<string>();
  /** The categories whose tasks this pool claims, in config order. */
  private readonly worked: readonly CategoryConfig[];
  /** Tasks this process may run at once (`concurrency`), across categories. */
  private readonly processSlots: number;

  constructor(private readonly options: PoolOptions) {
    const { config, tasks, queue, clock, runners, env, configDir } = options;
    this.pollMs = options.pollMs ?? 500;
    this.worked = workedCategories(config, options.categories);
    this.processSlots = options.concurrency ?? Number.POSITIVE_INFINITY;
    this.hooks = options.hooks ?? {};
    this.deadlines = new Deadlines(clock);
    this.leases = new Leases(queue, options.owner, options.leaseMs ?? 60_000);
    const hooks = this.hooks;
    this.incidents = new IncidentTracker(queue, config, clock, {
      onIncident: hooks.onIncident?.bind(hooks),
      onIncidentResolved: hooks.onIncidentResolved?.bind(hooks),
      kick: () => this.kick(),
    });
    const random = options.random ?? Math.random;
    this.policy = new PolicyApplier({
      config,
      tasks,
      queue,
      clock,
      random,
      incidents: this.incidents,
      hooks,
    });
    const owner: PassOwner<Launch> = {
      release: (taskId, stop) => this.release(taskId, stop),
      claim: (requeued) => this.claim(requeued),
      launch: (claim) => this.launch(claim),
      isRunning: (taskId) => this.inFlight.has(taskId),
      passSoon: () => this.passSoon(),
      onChange: (task) => this.hooks.onChange?.(task),
    };
    this.batch = new PassBatch(tasks, queue, options.owner, owner);
    const outputCheck = new OutputCheck({
      config,
      tasks,
      queue,
      clock,
      runners,
      env,
      configDir,
      leaseMs: this.leases.ms,
      incidents: this.incidents,
      hooks,
      writeWithNextPass: (taskId, stop, work) => this.batch.writeWithNextPass(taskId, stop, work),
    });
    this.attempts = new AttemptRunner({
      config,
      runners,
      env,
      configDir,
      deadlines: this.deadlines,
      incidents: this.incidents,
      outputCheck,
      settle: (task, attemptId, outcome) => this.policy.apply(task, attemptId, outcome),
    });
    this.scheduler = new PassScheduler(() => this.safely("claiming tasks", this.passNow));
  }

  /**
   * Returns tasks a previous process left running to the queue and reads the paused workers,
   * then starts polling (passes before that wait for it); resolves once that is done.
   */
  start(): Promise<void> {
    this.moveTo("running", ["idle", "stopped"]);
    this.ready = this.recover();
    // The poll looks at every category: what was queued unannounced waits one poll at most.
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.leases.startRenewing(() => this.safely("renewing leases", this.renewLeases));
    this.kick();
    return this.ready;
  }

  /**
   * Leases of runs that stopped: expired ones, and with other processes on the store, those of
   * a process listed stale or gone (three missed beats, not a whole lease).
   */
  private async recoverLeases(): Promise<Task[]> {
    const expired = await this.leases.recoverExpired();
    if (!this.options.shared) return expired;
    const stopped = await this.leases.recoverStopped(this.options.clock.now() - STALE_AFTER_MS);
    return stopped.length === 0 ? expired : [...expired, ...stopped];
  }

  private async recover(): Promise<void> {
    this.recovered = false;
    try {
      await this.incidents.load();
      const returned = this.options.shared
        ? await this.recoverLeases()
        : await this.leases.recoverAll();
      for (const task of returned) this.hooks.onChange?.(task);
    } catch (error) {
      this.hooks.onError?.(coerceError(error), "recovering leases at start-up");
    } finally {
      this.recovered = true;
    }
  }

  /** Stops claiming; waits for running tasks up to `graceMs`, then aborts and requeues them. */
  async stop(graceMs = 10_000): Promise<void> {
    this.moveTo("draining", ["idle", "running", "draining", "stopped"]);
    clearInterval(this.timer);
    const running = [...this.inFlight.values()];
    const finished = Promise.all(running.map((flight) => flight.done));
    let graceTimer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<"timeout">((resolve) => {
      graceTimer = setTimeout(() => resolve("timeout"), graceMs);
    });
    if ((await Promise.race([finished, graceOver])) === "timeout") {
      for (const flight of this.inFlight.values())
        flight.stop.abort(new ShutdownAbort("Steward is shutting down"));
      await Promise.all([...this.inFlight.values()].map((flight) => flight.done));
    }
    clearTimeout(graceTimer);
    // The runs' last writes go in with the passes they asked for.
    await this.passes.idle();
    this.leases.stopRenewing();
    this.deadlines.stop();
    // (A second stop while the first drained finds the pool stopped by the first.)
    if (this.mode === "draining") this.moveTo("stopped", ["draining"]);
  }

  /**
   * Renews the leases of the runs in flight. A run whose lease is lost is stopped: its output
   * would be refused, and its task is queued again, perhaps running elsewhere already.
   */
  private readonly renewLeases = async (): Promise<void> => {
    const flights = [...this.inFlight.values()];
    const held = await this.leases.renew(flights.map((flight) => flight.taskId));
    for (const flight of flights) {
      if (held.has(flight.taskId) || this.inFlight.get(flight.taskId) !== flight) continue;
      const why = `T-${flight.taskId}'s lease was lost: the task was queued again meanwhile`;
      flight.stop.abort(new LeaseLost(why));
    }
  };

  /** Something may have been queued: every category is looked at on the next pass. */
  kick(): void {
    this.lookAtEverything();
    this.passSoon();
  }

  /** Another process queued work in `category` (every category, when it is not known). */
  wake(category?: string): void {
    if (category === undefined) this.kick();
    else {
      this.drained.delete(category);
      this.passSoon();
    }
  }

  /** A pass now that looks at everything, as a poll does (simulations drive the pool with it). */
  tick(): Promise<number> {
    this.lookAtEverything();
    return this.passes.run(this.runPass);
  }

  /** An operator's "retry" on an incident: probe the paused worker on the next pass. */
  probeNow(worker: string): Promise<void> {
    return this.incidents.probeNow(worker);
  }

  /** Stops the run of a task that was cancelled; its result, if any, is dropped. */
  abort(taskId: number): void {
    this.inFlight.get(taskId)?.stop.abort(new CancelAbort(`T-${taskId} was cancelled`));
  }

  /** Resolves when nothing is running, and no pass (tests and benches). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0)
      await Promise.all([...this.inFlight.values()].map((flight) => flight.done));
    await this.passes.idle();
  }

  /** The categories this pool claims tasks of (those with a worker). */
  get categories(): string[] {
    return this.worked.filter((category) => category.worker !== undefined).map((c) => c.name);
  }

  get running(): number {
    return this.inFlight.size;
  }

  isPaused(worker: string): boolean {
    return this.incidents.isPaused(worker);
  }

  /** Makes a pass soon, unless not claiming and no write waits for one. */
  private passSoon(): void {
    if (this.mode !== "running" && !this.batch.pending) return;
    this.scheduler.soon();
  }

  /** A run's write is in: its slot is free, unless the task is another run's by now. */
  private release(taskId: number, stop: RunStop): void {
    if (this.inFlight.get(taskId)?.stop === stop) this.inFlight.delete(taskId);
  }

  /** Inside the pass's unit: what can run now, claimed but not started yet. */
  private async claim(requeued: Task[]): Promise<{ claimed: Launch[]; recovered: Task[] }> {
    const { queue } = this.options;
    let recovered = requeued;
    if (requeued.length > 0) this.drained.clear();
    if (this.housekeepingDue) {
      this.housekeepingDue = false;
      const promoted = await queue.promoteDueRetries();
      const stranded = await this.recoverLeases();
      if (promoted > 0 || stranded.length > 0) this.drained.clear();
      recovered = [...recovered, ...stranded];
    }
    const claimed: Launch[] = [];
    for (const category of this.worked) {
      if (category.worker === undefined) continue;
      // (Most categories have nothing to claim on most passes: no promise for them.)
      const claiming = this.claimFor(category, category.worker);
      if (claiming === undefined) continue;
      for (const launch of await claiming) claimed.push(launch);
    }
    return { claimed, recovered };
  }

  private launch({ task, attemptId, category, worker }: Launch): InFlight {
    this.hooks.onChange?.(task);
    const stop = new RunStop();
    const flight: InFlight = {
      taskId: task.id,
      category: category.name,
      stop,
      done: RESOLVED,
    };
    // (Arrows made inline: tsx names a closure kept in a variable, at a cost every task.)
    flight.done = this.attempts.run(task, attemptId, category, worker, stop).then(
      () => this.ended(flight),
      (error: unknown) => {
        try {
          this.hooks.onError?.(coerceError(error), `running T-${task.id}`);
        } finally {
          this.ended(flight);
        }
      },
    );
    this.inFlight.set(task.id, flight);
    return flight;
  }

  /** A run is over: its slot is free. */
  private ended(flight: InFlight): void {
    // A run ended by a pass has left already, its slot refilled by that pass.
    if (this.inFlight.get(flight.taskId) !== flight) return;
    this.inFlight.delete(flight.taskId);
    this.passSoon();
  }

  /** The pass the scheduler runs, made once (see PassScheduler), in its turn. */
  private readonly passNow = (): Promise<number> => this.passes.run(this.runPass);

  /** One pass; one that claims waits for start-up's recovery first. */
  private readonly runPass = (): Promise<number> => {
    const claiming = this.mode === "running";
    if (!claiming || this.recovered) return this.batch.pass(claiming);
    return this.ready.then(() => this.batch.pass(claiming));
  };

  /** The next pass looks at every category, due retries and expired leases. */
  private lookAtEverything(): void {
    this.drained.clear();
    this.housekeepingDue = true;
  }

  /** Claims for the category's free slots; undefined, without asking the store, when none may be. */
  private claimFor(category: CategoryConfig, worker: string): Promise<Launch[]> | undefined {
    const incident = this.incidents.incidentOf(category);
    let slots = Math.min(
      category.limits.concurrency - this.runningIn(category.name),
      this.processSlots - this.inFlight.size,
    );
    if (slots <= 0 || this.drained.has(category.name)) return undefined;
    if (incident !== undefined) {
      // Paused: one task at a time serves as the probe, once the probe is due.
      const { clock } = this.options;
      if (clock.now() < incident.nextProbeAt || this.runningFor(incident.worker) > 0)
        return undefined;
      slots = Math.min(slots, 1);
    }
    return this.claimSlots(category, worker, slots, incident);
  }

  private async claimSlots(
    category: CategoryConfig,
    worker: string,
    slots: number,
    incident: Incident | undefined,
  ): Promise<Launch[]> {
    const { queue, owner } = this.options;
    const claimed = await queue.claim(category.name, worker, slots, owner, this.leases.ms);
    if (claimed.length < slots) this.drained.add(category.name);
    if (incident !== undefined && claimed.length > 0) await this.incidents.probeClaimed(incident);
    return claimed.map(({ task, attemptId }) => ({ task, attemptId, category, worker }));
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

  /** Moves to `next`; a move from any mode but `from` is a bug in the pool's caller. */
  private moveTo(next: PoolMode, from: readonly PoolMode[]): void {
    if (!from.includes(this.mode))
      throw new Error(`the worker pool cannot go from ${this.mode} to ${next}`);
    this.mode = next;
  }

  private safely(context: string, work: () => Promise<unknown>): void {
    work().catch((error: unknown) => this.hooks.onError?.(coerceError(error), context));
  }
}

/** The categories named (each must exist), or every category. */
function workedCategories(config: Config, names?: readonly string[]): CategoryConfig[] {
  if (names === undefined) return config.categories;
  const unknown = names.filter((name) => !config.categories.some((c) => c.name === name));
  if (unknown.length > 0) {
    const known = config.categories.map((c) => c.name).join(", ");
    throw new Error(`no category named ${unknown.join(", ")} (the categories: ${known})`);
  }
  return config.categories.filter((category) => names.includes(category.name));
}
