import type { Task } from "../core/task.js";
import type { OpenDatabase } from "../db/connection.js";
import { MonitorQueries } from "../db/monitor-queries.js";
import type { EscalationRow } from "../db/schema.js";
import { type StateCount, StatusQueries } from "../db/status-queries.js";
import type { OpenAnomaly } from "../monitor/store.js";
import type { Engine, TaskDetail } from "./engine.js";

/** An escalation not yet decided, with the tasks still waiting in it. */
export type WaitingEscalation = EscalationRow & { taskIds: number[] };

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
  now: number;
}

/** What a status view reads (the console, /status, `steward status`): one snapshot of the queries. */
export class StatusReader {
  private readonly queries: StatusQueries;
  private readonly monitor: MonitorQueries;

  constructor(
    private readonly engine: Engine,
    database: Pick<OpenDatabase, "db" | "sqlite">,
  ) {
    this.queries = new StatusQueries(database.db);
    this.monitor = new MonitorQueries(database.sqlite);
  }

  snapshot(): StatusSnapshot {
    const { engine } = this;
    const incidents = new Map(engine.queue.openIncidents().map((row) => [row.worker, row]));
    return {
      counts: this.queries.counts(),
      inFlight: this.queries.inFlight(),
      anomalies: this.monitor.openAnomalies(),
      waitingForDetails: this.queries.waitingForDetails(),
      escalations: engine.escalationStore
        .open()
        .sort((a, b) => a.createdAt - b.createdAt || a.id - b.id)
        .map((group) => ({
          ...group,
          taskIds: engine.escalationStore
            .tasksOf(group.id)
            .filter((member) => member.resolvedAt === null)
            .map((member) => member.task.id),
        })),
      pausedWorkers: Object.keys(engine.config.workers)
        .filter((worker) => engine.pool.isPaused(worker))
        .map((worker) => ({
          worker,
          error: incidents.get(worker)?.error,
          since: incidents.get(worker)?.startedAt,
        })),
      outboxBacklog: engine.outbox.backlog(),
      now: engine.clock.now(),
    };
  }

  task(taskId: number): TaskDetail {
    return this.engine.detail(taskId);
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
