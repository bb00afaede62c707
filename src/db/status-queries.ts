import { and, asc, count, desc, eq, inArray, isNull, lte, notInArray, type SQL } from "drizzle-orm";
import { type StateCount, TERMINAL_STATES } from "../core/states.js";
import type { StatusReads } from "../core/status-reads.js";
import type { Task } from "../core/task.js";
import type { Db } from "./connection.js";
import { anomalies, escalations, tasks } from "./schema.js";
import { HOLDING_LEASE, QUEUED, RETRY_WAITING } from "./task-conditions.js";

export type { StateCount };

/** Read-only questions the status displays ask; no writes here. */
export class StatusQueries implements StatusReads {
  constructor(private readonly db: Db) {}

  /** Ids of the tasks not finished, newest first: what the console completes after `T-`. */
  openTaskIds(limit = 200): number[] {
    return this.db
      .select({ id: tasks.id })
      .from(tasks)
      .where(notInArray(tasks.state, [...TERMINAL_STATES]))
      .orderBy(desc(tasks.id))
      .limit(limit)
      .all()
      .map((row) => row.id);
  }

  /** Escalations not yet decided and anomalies not yet resolved, counted (the /metrics gauges). */
  openCounts(): { escalations: number; anomalies: number } {
    const escalationRow = this.db
      .select({ n: count() })
      .from(escalations)
      .where(inArray(escalations.state, ["staged", "open"]))
      .get();
    const anomalyRow = this.db
      .select({ n: count() })
      .from(anomalies)
      .where(isNull(anomalies.resolvedAt))
      .get();
    return { escalations: escalationRow?.n ?? 0, anomalies: anomalyRow?.n ?? 0 };
  }

  /** How many tasks are in each (state, category) pair. */
  counts(): StateCount[] {
    return this.db
      .select({ state: tasks.state, category: tasks.category, count: count() })
      .from(tasks)
      .groupBy(tasks.state, tasks.category)
      .orderBy(asc(tasks.state), asc(tasks.category))
      .all();
  }

  /** Tasks waiting for their requester's details, the longest waiting first. */
  waitingForDetails(limit = 20): Task[] {
    return this.db
      .select()
      .from(tasks)
      .where(eq(tasks.state, "needs_clarification"))
      .orderBy(asc(tasks.stateSince))
      .limit(limit)
      .all();
  }

  /** Tasks a worker holds right now, longest-running first. */
  inFlight(limit = 20): Task[] {
    return this.db
      .select()
      .from(tasks)
      .where(HOLDING_LEASE)
      .orderBy(asc(tasks.stateSince))
      .limit(limit)
      .all();
  }

  /**
   * Ids of tasks that will still move without a person before `horizon`: queued, running,
   * reviewing, or waiting for a retry that falls due by then.
   */
  moving(horizon: number): number[] {
    // One read per state, each over its partial index: an OR of them would read every task.
    const ids = (where: SQL) =>
      this.db
        .select({ id: tasks.id })
        .from(tasks)
        .where(where)
        .all()
        .map((row) => row.id);
    return [
      ...ids(HOLDING_LEASE),
      ...ids(QUEUED),
      ...ids(and(RETRY_WAITING, lte(tasks.nextRunAt, horizon))!),
    ].sort((a, b) => a - b);
  }
}
