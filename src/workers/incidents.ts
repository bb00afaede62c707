import type { CategoryConfig, Config } from "../config/schema.js";
import type { Clock } from "../core/clock.js";
import type { Incident, QueueRepository } from "../core/ports.js";
import { RESOLVED } from "../core/resolved.js";
import type { Task } from "../core/task.js";
import type { Failure } from "../policy/classify.js";

/** What the tracker needs from the pool that owns it. */
export interface IncidentOwner {
  /** Inside the transaction that opened a systemic incident. */
  onIncident?(incident: Incident, task: Task): Promise<void>;
  /** A paused worker answered again: its incident is over. */
  onIncidentResolved?(worker: string): Promise<void>;
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
  private readonly paused = new Map<string, Incident>();

  constructor(
    private readonly queue: QueueRepository<"async">,
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly owner: IncidentOwner,
  ) {}

  /** The workers paused when the pool starts: their incidents are still open. */
  async load(): Promise<void> {
    for (const incident of await this.queue.openIncidents())
      this.paused.set(incident.worker, incident);
  }

  isPaused(worker: string): boolean {
    return this.paused.has(worker);
  }

  /** A category waits while its worker or its reviewer is paused: either fails every task. */
  incidentOf(category: CategoryConfig): Incident | undefined {
    const { worker, review } = category;
    const ofWorker = worker === undefined ? undefined : this.paused.get(worker);
    if (ofWorker !== undefined || review.reviewer === undefined) return ofWorker;
    return this.paused.get(review.reviewer);
  }

  /** The worker answered (whatever its answer): its dependency is up, its incident over. */
  answered(worker: string): Promise<void> {
    this.connectionFailures.delete(worker);
    const incident = this.paused.get(worker);
    // (Once a task, nearly always with no incident: no promise made for it.)
    if (incident === undefined) return RESOLVED;
    return this.resume(worker, incident);
  }

  private async resume(worker: string, incident: Incident): Promise<void> {
    // Resumed at once, so that a second answer meanwhile does not resolve it again.
    this.paused.delete(worker);
    await this.queue.resolveIncident(incident.id);
    await this.owner.onIncidentResolved?.(worker);
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
  async pause(worker: string, error: string, task: Task): Promise<void> {
    const { incident, opened } = await this.queue.openIncident(
      worker,
      error,
      this.config.policies.systemic.probe_every,
    );
    this.paused.set(worker, incident);
    if (opened) await this.owner.onIncident?.(incident, task);
  }

  /** A task of a paused worker's category was claimed as the probe: the next probe is later. */
  async probeClaimed(incident: Incident): Promise<void> {
    const next = this.clock.now() + this.config.policies.systemic.probe_every;
    this.paused.set(incident.worker, { ...incident, nextProbeAt: next });
    await this.queue.scheduleProbe(incident.id, next);
  }

  /** An operator's "retry" on an incident: probe the paused worker on the next pass. */
  async probeNow(worker: string): Promise<void> {
    const incident = this.paused.get(worker);
    if (incident === undefined) return;
    const now = this.clock.now();
    this.paused.set(worker, { ...incident, nextProbeAt: now });
    await this.queue.scheduleProbe(incident.id, now);
    this.owner.kick();
  }
}
