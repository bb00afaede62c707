import type { QueueRepository } from "../core/ports.js";
import type { Task } from "../core/task.js";

/**
 * The pool's leases on the tasks it runs: renewed on a heartbeat while they run, and the leases of
 * runs that stopped (this process's before a restart, or a worker that stopped renewing)
 * returned to the queue.
 */
export class Leases {
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly queue: QueueRepository<"async">,
    /** Who holds the leases: unique per process. */
    private readonly owner: string,
    readonly ms: number,
  ) {}

  /** At start-up: every task a previous process left running goes back to the queue. */
  recoverAll(): Promise<Task[]> {
    return this.queue.recoverLeases({
      everyLease: true,
      reason: "recovered at start-up: the process running it stopped",
    });
  }

  /** Tasks whose lease ran out go back to the queue (inside a pass). */
  recoverExpired(): Promise<Task[]> {
    return this.queue.recoverLeases({
      everyLease: false,
      reason: "lease expired: its worker stopped renewing it",
    });
  }

  /**
   * Tasks leased by a process that closed or stopped beating before `since` go back to the queue
   * (inside a pass, when processes share the store): a killed worker's need not wait out a lease.
   */
  recoverStopped(since: number): Promise<Task[]> {
    return this.queue.recoverStopped(since, "its process stopped: no heartbeat from it");
  }

  /**
   * Renews the leases on `ids`; returns those still held. One missing is no longer this
   * process's: its task was requeued (its lease expired, or this process was seen stopped) and
   * may be another run's.
   */
  async renew(ids: readonly number[]): Promise<ReadonlySet<number>> {
    if (ids.length === 0) return new Set();
    return new Set(await this.queue.renewLeases(ids, this.owner, this.ms));
  }

  /** Calls `renew` every third of a lease. */
  startRenewing(renew: () => void): void {
    this.heartbeat = setInterval(renew, Math.max(1000, this.ms / 3));
  }

  stopRenewing(): void {
    clearInterval(this.heartbeat);
  }
}
