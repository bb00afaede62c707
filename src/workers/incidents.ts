import type { CategoryConfig, Config } from "../config/schema.js";
import type { Clock } from "../core/clock.js";
import type { Task } from "../core/task.js";
import type { QueueStore } from "../db/queue-store.js";
import type { IncidentRow } from "../db/schema.js";
import type { Failure } from "../policy/classify.js";

/** What the tracker needs from the pool that owns it. */
export interface IncidentOwner {
  /** Inside the transaction that opened a systemic incident. */
  onIncident?(incident: IncidentRow, task: Task): void;
  /** A paused worker answered again: its incident is over. */
  onIncidentResolved?(worker: string): void;
  /** Something may be claimable again (a worker resumed, a probe is due). */
  kick(): void;
}

/**
 * Systemic incidents: the connection failures in a row per worker, the workers paused while their
 * dependency is down, and the probes that find out when it is back.
 */
export class IncidentTracker {
  /** Connection failures in a row per worker (no success between), and the tasks they hit. */
  private readonly connectionFailures = new Map<string, { count: number; tasks: Set<number> }>();
  private readonly paused = new Map<string, IncidentRow>();

  constructor(
    private readonly queue: QueueStore,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly owner: IncidentOwner,
  ) {
    for (const incident of queue.openIncidents()) this.paused.set(incident.worker, incident);
  }

  isPaused(worker: string): boolean {
    return this.paused.has(worker);
  }

  /** A category waits while its worker or its reviewer is paused: either fails every task. */
  incidentOf(category: CategoryConfig): IncidentRow | undefined {
    const { worker, review } = category;
    const ofWorker = worker === undefined ? undefined : this.paused.get(worker);
    if (ofWorker !== undefined || review.reviewer === undefined) return ofWorker;
    return this.paused.get(review.reviewer);
  }

  /** The worker answered (whatever its answer): its dependency is up, its incident over. */
  answered(worker: string): void {
    this.connectionFailures.delete(worker);
    const incident = this.paused.get(worker);
    if (incident === undefined) return;
    this.queue.resolveIncident(incident.id);
    this.paused.delete(worker);
    this.owner.onIncidentResolved?.(worker);
    this.owner.kick();
  }

  /**
   * N connection failures in a row, with no success between, mean the dependency is down:
   * counted over attempts, not distinct tasks, so a quiet hour (one task retrying alone) is
   * recognised as an outage as fast as a busy one, before the retries run out as "transient".
   */
  escalateConnectionFailures(worker: string, taskId: number, failure: Failure): Failure {
    if (!failure.connection) {
      this.connectionFailures.delete(worker);
      return failure;
    }
    const seen = this.connectionFailures.get(worker) ?? { count: 0, tasks: new Set<number>() };
    seen.count += 1;
    seen.tasks.add(taskId);
    this.connectionFailures.set(worker, seen);
    const threshold = this.config.policies.systemic.after_consecutive;
    if (seen.count < threshold && !this.paused.has(worker)) return failure;
    const across = seen.tasks.size > 1 ? " across tasks" : "";
    return {
      ...failure,
      failureClass: "systemic",
      message: `${failure.message} (${seen.count} consecutive connection failures${across})`,
    };
  }

  /** Inside the transaction that paused `task` for it: the worker's incident, opened once. */
  pause(worker: string, error: string, task: Task): void {
    const { incident, opened } = this.queue.openIncident(
      worker,
      error,
      this.config.policies.systemic.probe_every,
    );
    this.paused.set(worker, incident);
    if (opened) this.owner.onIncident?.(incident, task);
  }

  /** A task of a paused worker's category was claimed as the probe: the next probe is later. */
  probeClaimed(incident: IncidentRow): void {
    const next = this.clock.now() + this.config.policies.systemic.probe_every;
    this.queue.scheduleProbe(incident.id, next);
    this.paused.set(incident.worker, { ...incident, nextProbeAt: next });
  }

  /** An operator's "retry" on an incident: probe the paused worker on the next pass. */
  probeNow(worker: string): void {
    const incident = this.paused.get(worker);
    if (incident === undefined) return;
    const now = this.clock.now();
    this.queue.scheduleProbe(incident.id, now);
    this.paused.set(worker, { ...incident, nextProbeAt: now });
    this.owner.kick();
  }
}
