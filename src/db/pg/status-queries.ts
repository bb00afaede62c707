import {
  and,
  asc,
  count,
  desc,
  eq,
  inArray,
  isNull,
  lte,
  notInArray,
  type SQL,
  sql,
} from "drizzle-orm";
import { type StateCount, TERMINAL_STATES } from "../../core/states.js";
import type { StatusReads } from "../../core/status-reads.js";
import type { Task } from "../../core/task.js";
import { anomalies, escalations, tasks } from "./schema.js";
import { HOLDING_LEASE, QUEUED, RETRY_WAITING } from "./task-conditions.js";
import type { Transactions } from "./transactions.js";

/** Read-only questions the status displays ask, on PostgreSQL; no writes here. */
export class PgStatusQueries implements StatusReads<"async"> {
  constructor(private readonly transactions: Transactions) {}

  async openTaskIds(limit = 200): Promise<number[]> {
    const rows = await this.db
      .select({ id: tasks.id })
      .from(tasks)
      .where(notInArray(tasks.state, [...TERMINAL_STATES]))
      .orderBy(desc(tasks.id))
      .limit(limit);
    return rows.map((row) => row.id);
  }

  async openCounts(): Promise<{ escalations: number; anomalies: number }> {
    const [escalationRow] = await this.db
      .select({ n: count() })
      .from(escalations)
      .where(inArray(escalations.state, ["staged", "open"]));
    const [anomalyRow] = await this.db
      .select({ n: count() })
      .from(anomalies)
      .where(isNull(anomalies.resolvedAt));
    return { escalations: escalationRow?.n ?? 0, anomalies: anomalyRow?.n ?? 0 };
  }

  /** Ordered byte by byte (COLLATE "C"), as SQLite orders text. */
  counts(): Promise<StateCount[]> {
    return this.db
      .select({ state: tasks.state, category: tasks.category, count: count() })
      .from(tasks)
      .groupBy(tasks.state, tasks.category)
      .orderBy(sql`${tasks.state} COLLATE "C"`, sql`${tasks.category} COLLATE "C"`);
  }

  waitingForDetails(limit = 20): Promise<Task[]> {
    return this.db
      .select()
      .from(tasks)
      .where(eq(tasks.state, "needs_clarification"))
      .orderBy(asc(tasks.stateSince), asc(tasks.id))
      .limit(limit);
  }

  inFlight(limit = 20): Promise<Task[]> {
    return this.db
      .select()
      .from(tasks)
      .where(HOLDING_LEASE)
      .orderBy(asc(tasks.stateSince), asc(tasks.id))
      .limit(limit);
  }

  /** One read per state, each over its partial index, as on SQLite. */
  async moving(horizon: number): Promise<number[]> {
    const ids = async (where: SQL) =>
      (await this.db.select({ id: tasks.id }).from(tasks).where(where)).map((row) => row.id);
    const moving = [
      ...(await ids(HOLDING_LEASE)),
      ...(await ids(QUEUED)),
      ...(await ids(and(RETRY_WAITING, lte(tasks.nextRunAt, horizon))!)),
    ];
    return moving.sort((a, b) => a - b);
  }

  private get db() {
    return this.transactions.db;
  }
}
