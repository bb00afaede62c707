import type { Clock } from "../../core/clock.js";
import type { Store } from "../store.js";
import { PgChatRefStore } from "./chat-ref-store.js";
import { type OpenPostgres, openPostgres, type PostgresOptions } from "./connection.js";
import { PgEscalationStore } from "./escalation-store.js";
import { PgMonitorStore } from "./monitor-store.js";
import { PgOutboxStore } from "./outbox-store.js";
import { PgProcessStore } from "./process-store.js";
import { PgQueueStore } from "./queue-store.js";
import { PgReviewPostStore } from "./review-post-store.js";
import { pgReviewQueries } from "./review-queries.js";
import { PgRoutingExampleStore } from "./routing-example-store.js";
import { PgScheduleStore } from "./schedule-store.js";
import { PgStatusQueries } from "./status-queries.js";
import { PgTaskStore } from "./task-store.js";
import { Transactions } from "./transactions.js";

/**
 * The store on a PostgreSQL database (migrated first): its repositories share one pool and
 * find the write they are part of through `Transactions`.
 */
export async function openPostgresStore(
  url: string,
  clock: Clock,
  options: PostgresOptions = {},
): Promise<Store<"async">> {
  return postgresStore(await openPostgres(url, options), clock);
}

/** The store on an open pool; its `close()` ends the pool. */
export function postgresStore(database: OpenPostgres, clock: Clock): Store<"async"> {
  const transactions = new Transactions(database.db);
  const tasks = new PgTaskStore(transactions, clock);
  return {
    tasks,
    queue: new PgQueueStore(transactions, tasks, clock),
    outbox: new PgOutboxStore(transactions, clock),
    escalations: new PgEscalationStore(transactions),
    processes: new PgProcessStore(transactions, clock),
    monitor: new PgMonitorStore(transactions),
    review: pgReviewQueries(transactions),
    reviewPosts: new PgReviewPostStore(transactions),
    status: new PgStatusQueries(transactions),
    chatRefs: new PgChatRefStore(transactions, clock),
    schedules: new PgScheduleStore(transactions),
    routingExamples: new PgRoutingExampleStore(transactions),
    // Every write is committed when it returns: nothing is left to wait for.
    committed: () => Promise.resolve(),
    close: () => database.close(),
  };
}

/** Throws unless the server takes writes: reachable, and a primary rather than a standby. */
export async function postgresWritable(database: OpenPostgres): Promise<void> {
  const { rows } = await database.pool.query<{ standby: boolean }>(
    "SELECT pg_is_in_recovery() AS standby",
  );
  if (rows[0]?.standby) throw new Error("the PostgreSQL server is a read-only standby");
}
