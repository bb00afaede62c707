import type { Task } from "../core/task.js";
import type { OpenDatabase } from "../db/connection.js";
import { MonitorQueries, type OpenAnomaly } from "../db/monitor-queries.js";
import type { EscalationRow } from "../db/schema.js";
import { type StateCount, StatusQueries } from "../db/status-queries.js";
import type { Engine, TaskDetail } from "./engine.js";

export interface StatusSnapshot {
  counts: StateCount[];
  inFlight: Task[];
  anomalies: OpenAnomaly[];
  escalations: EscalationRow[];
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
      escalations: engine.escalationStore.open(),
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
