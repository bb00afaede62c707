import type { Config } from "../config/schema.js";
import type { Attempt } from "../core/attempt.js";
import type { Clock } from "../core/clock.js";
import type { ProcessList } from "../core/processes.js";
import type { StateCount } from "../core/states.js";
import type { StatusReads } from "../core/status-reads.js";
import type { Task, TaskEvent } from "../core/task.js";
import type { Escalations } from "../escalation/escalations.js";
import type { EscalationGroup } from "../escalation/store.js";
import type { MonitorStore, OpenAnomaly } from "../monitor/store.js";

/** A task with its timeline: what `status T-4` and the Discord details show. */
export interface TaskDetail {
  task: Task;
  events: TaskEvent[];
  attempts: Attempt[];
}

/** An escalation not yet decided, with the tasks still waiting in it. */
export type WaitingEscalation = EscalationGroup & { taskIds: number[] };

export interface StatusSnapshot {
  counts: StateCount[];
  inFlight: Task[];
  anomalies: OpenAnomaly[];
  /** Tasks waiting for their requester's details, the longest waiting first. */
  waitingForDetails: Task[];
  /** Escalations not yet decided (staged or posted), the longest waiting first. */
  escalations: WaitingEscalation[];
  pausedWorkers: { worker: string; error?: string; since?: number }[];
  outboxBacklog: number;
  /** The Steward processes on this database: beating, and those that stopped without closing. */
  processes: ProcessList;
  now: number;
}

/** What the status reader is built from: read-only queries and the engine's parts. */
export interface StatusSources {
  config: Config;
  clock: Clock;
  queries: StatusReads<"async">;
  monitor: Pick<MonitorStore<"async">, "openAnomalies">;
  escalations: Escalations;
  openIncidents(): Promise<{ worker: string; error: string; startedAt: number }[]>;
  backlog(): Promise<number>;
  processes(): Promise<ProcessList>;
  detail(taskId: number): Promise<TaskDetail>;
}

/** What a status view reads (the console, /status, `steward status`): one snapshot of the queries. */
export class StatusReader {
  constructor(private readonly from: StatusSources) {}

  async snapshot(): Promise<StatusSnapshot> {
    const { from } = this;
    const incidents = new Map((await from.openIncidents()).map((row) => [row.worker, row]));
    const escalations: WaitingEscalation[] = [];
    for (const group of await from.escalations.undecided()) {
      const waiting = await from.escalations.waitingIn(group.id);
      escalations.push({ ...group, taskIds: waiting.map((member) => member.task.id) });
    }
    return {
      counts: await from.queries.counts(),
      inFlight: await from.queries.inFlight(),
      anomalies: await from.monitor.openAnomalies(),
      waitingForDetails: await from.queries.waitingForDetails(),
      escalations,
      // From the open incidents, not the pool: right in a process that does not run workers.
      pausedWorkers: Object.keys(from.config.workers)
        .filter((worker) => incidents.has(worker))
        .map((worker) => ({
          worker,
          error: incidents.get(worker)?.error,
          since: incidents.get(worker)?.startedAt,
        })),
      outboxBacklog: await from.backlog(),
      processes: await from.processes(),
      now: from.clock.now(),
    };
  }

  async task(taskId: number): Promise<TaskDetail> {
    return this.from.detail(taskId);
  }

  /** The Steward processes on this database, live and stale. */
  async processes(): Promise<ProcessList> {
    return this.from.processes();
  }

  /** How many tasks are in each (state, category) pair. */
  async counts(): Promise<StateCount[]> {
    return this.from.queries.counts();
  }

  /** Escalations not yet decided and anomalies not yet resolved, counted. */
  async openCounts(): Promise<{ escalations: number; anomalies: number }> {
    return this.from.queries.openCounts();
  }

  /** Ids of the tasks not finished, newest first: what the console completes after `T-`. */
  async openTaskIds(): Promise<number[]> {
    return this.from.queries.openTaskIds();
  }

  /** Ids of tasks that will still move without a person before `horizon`. */
  async moving(horizon: number): Promise<number[]> {
    return this.from.queries.moving(horizon);
  }
}

/** How many things wait on a person: tasks needing details (all of them) and open escalations. */
export function waitingCount(snapshot: Pick<StatusSnapshot, "counts" | "escalations">): {
  details: number;
  escalations: number;
} {
  const details = snapshot.counts
    .filter((row) => row.state === "needs_clarification")
    .reduce((sum, row) => sum + row.count, 0);
  return { details, escalations: snapshot.escalations.length };
}
