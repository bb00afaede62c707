import { performance } from "node:perf_hooks";
import type { QueueRepository, TaskRepository, WriteOptions } from "../core/ports.js";
import type { Task } from "../core/task.js";
import { ClaimLost, RolledBack } from "./outcome.js";
import type { RunStop } from "./run-stop.js";

/** How long passes take savepoints after one failed without (see `pass`). */
const CAREFUL_MS = 1_000;
/**
 * A pass commits with the group; a failure half-way rolls the whole group back (no savepoint:
 * see `pass`). A careful pass undoes only itself, and each of its writes only itself.
 */
const PASS: WriteOptions = { commit: "grouped", undo: "all" };
const CAREFUL_PASS: WriteOptions = { commit: "grouped" };
const ROLLED_BACK =
  "its completion was rolled back with another write's failure; it will run again";

/** A run started by a pass: what is undone should its claim be rolled back. */
export interface Launched {
  taskId: number;
  stop: RunStop;
}

/** What the batch needs from the pool that owns it. */
export interface PassOwner<Claim> {
  /** A run's write is in: its slot is free, unless the task is another run's by now. */
  release(taskId: number, stop: RunStop): void;
  /** Inside the pass's unit, after its writes: what it claims, and the tasks it recovered. */
  claim(requeued: Task[]): Promise<{ claimed: Claim[]; recovered: Task[] }>;
  /** After the pass's unit: starts a claimed task. */
  launch(claim: Claim): Launched;
  /** Is a run of the task in flight? */
  isRunning(taskId: number): boolean;
  /** Asks for a pass soon (coalesced). */
  passSoon(): void;
  /** A recovered task's change, for progress displays. */
  onChange?(task: Task): void;
}

/** A write waiting for the pool's next pass, committed with it (see `pass`). */
interface PendingWrite {
  /** The task whose run this write ends: its slot is free for the same pass's claims. */
  taskId: number;
  /** The run's stop switch: which run of the task this is. */
  stop: RunStop;
  work: () => Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * The pool's work in the open group of writes, undone with it should it fail: runs whose claim
 * is there, and tasks whose completion is (see groupEnded).
 */
interface Unsaved {
  launched: Launched[];
  completed: number[];
  /** The pass is still launching what it claimed: a failure heard meanwhile waits in `failed`. */
  launching: boolean;
  failed?: Error;
}

/**
 * The pool's passes as units of the group commit: the only part of the pool that knows writes
 * share a commit. It holds the runs' final writes until the next pass, writes them with that
 * pass's claims, remembers what the open group holds of the pool's work, and undoes it in memory
 * if the group is rolled back (claims voided, completions requeued).
 */
export class PassBatch<Claim> {
  private pendingWrites: PendingWrite[] = [];
  /** Tasks still held under this pool's lease whose completion was rolled back: to requeue. */
  private orphans: number[] = [];
  /** Until when passes take savepoints (see pass). */
  private carefulUntil = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly tasks: TaskRepository<"async">,
    private readonly queue: QueueRepository<"async">,
    /** Who holds the leases. */
    private readonly leaseOwner: string,
    private readonly owner: PassOwner<Claim>,
  ) {}

  /** Writes wait for a pass. */
  get pending(): boolean {
    return this.pendingWrites.length > 0;
  }

  /** Ends a run: resolves once `work` is written with the pool's next pass. */
  writeWithNextPass(taskId: number, stop: RunStop, work: () => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pendingWrites.push({ taskId, stop, work, resolve, reject });
      this.owner.passSoon();
    });
  }

  /**
   * One pass, one unit of work: write the completions since the last pass, then (`claiming`)
   * requeue rolled-back completions and let the owner claim, then start what it claimed. The
   * pass is grouped with the passes around it into one commit (see GroupCommit): the task that
   * just finished and the one that takes its slot share their pages. A claim is acted on before
   * it commits; a crash then leaves the task queued, to run again, as a crash mid-run would.
   * Returns how many tasks it claimed. Passes run one at a time (the pool's `Serial`).
   *
   * A pass has no savepoint of its own (a savepoint copies the pages its unit touches, a large
   * share of processing; see docs/performance.md): if it fails half-way, the whole group is rolled
   * back. The failing write's error goes to its run; what else the group held is undone in memory
   * too (see groupEnded). For CAREFUL_MS after that, passes take savepoints again, each write its
   * own: a write that fails again is undone alone and its task left to lease recovery, instead of
   * rolling back everything around it each time its task runs again.
   */
  async pass(claiming: boolean): Promise<number> {
    const writes = this.pendingWrites.splice(0);
    if (!claiming && writes.length === 0) return 0;
    for (const write of writes) this.owner.release(write.taskId, write.stop);
    const { tasks } = this;
    // Careful passes note the writes that failed alone (see applyPass).
    const failed =
      performance.now() < this.carefulUntil ? new Map<PendingWrite, unknown>() : undefined;
    const progress: { failing?: PendingWrite } = {};
    const unsaved: Unsaved = { launched: [], completed: [], launching: true };
    let pass: { claimed: Claim[]; recovered: Task[] };
    try {
      // (Arrows made inline: tsx names a closure kept in a variable, at a cost every pass.)
      pass = failed
        ? await tasks.write(
            () => this.applyPass(writes, claiming, progress, unsaved, failed),
            CAREFUL_PASS,
          )
        : await tasks.write(() => this.applyPass(writes, claiming, progress, unsaved), PASS);
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
      this.owner.passSoon();
      return 0;
    }
    const written = failed?.size ? writes.filter((write) => !failed.has(write)) : writes;
    for (const write of writes) {
      if (failed?.has(write)) write.reject(failed.get(write));
      else write.resolve();
    }
    for (const task of pass.recovered) this.owner.onChange?.(task);
    for (const write of written) unsaved.completed.push(write.taskId);
    for (const claim of pass.claimed) unsaved.launched.push(this.owner.launch(claim));
    unsaved.launching = false;
    // Its group failed before the pass launched them: the claims were void already.
    if (unsaved.failed !== undefined) this.groupEnded(unsaved, unsaved.failed);
    return pass.claimed.length;
  }

  /**
   * Inside the pass's unit: its writes, then its claims, then what it holds of the pool's work
   * is remembered until its group has committed (see groupEnded). With `failed`, each write has
   * a savepoint of its own, and one that throws is undone alone and noted there.
   */
  private async applyPass(
    writes: readonly PendingWrite[],
    claiming: boolean,
    progress: { failing?: PendingWrite },
    unsaved: Unsaved,
    failed?: Map<PendingWrite, unknown>,
  ): Promise<{ claimed: Claim[]; recovered: Task[] }> {
    for (const write of writes) {
      progress.failing = write;
      if (failed === undefined) await write.work();
      else {
        try {
          await this.tasks.write(write.work);
        } catch (error) {
          failed.set(write, error);
        }
      }
    }
    progress.failing = undefined;
    const pass = claiming
      ? await this.owner.claim(this.orphans.length === 0 ? [] : await this.requeueOrphans())
      : { claimed: [], recovered: [] };
    if (writes.length > 0 || pass.claimed.length > 0)
      this.tasks.afterCommit((error) => this.groupEnded(unsaved, error));
    return pass;
  }

  /** Completions rolled back earlier, whose tasks no run holds: back to the queue. */
  private async requeueOrphans(): Promise<Task[]> {
    const orphans = this.orphans.splice(0).filter((id) => !this.owner.isRunning(id));
    return this.queue.requeueHeld(orphans, this.leaseOwner, ROLLED_BACK);
  }

  /**
   * The group holding `unsaved` committed, or failed and was rolled back. Then its claims are
   * gone: their runs are void (stopped, and nothing they do is written). Its completions are
   * gone: their tasks are back in running under this pool's lease with no run, so they go back
   * to the queue on the next pass, to run again. (Heard before the pass launched what it
   * claimed, it is noted, and the pass acts on it once it has.)
   */
  private groupEnded(unsaved: Unsaved, error: Error | undefined): void {
    if (error === undefined) return;
    if (unsaved.launching) {
      unsaved.failed = error;
      return;
    }
    for (const flight of unsaved.launched) {
      flight.stop.abort(new ClaimLost(`T-${flight.taskId}'s claim was rolled back`));
    }
    this.orphans.push(...unsaved.completed);
    this.owner.passSoon();
  }
}
