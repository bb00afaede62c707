import type { Clock } from "../core/clock.js";
import { ChatRefRows } from "./chat-ref-store.js";
import { type DatabaseOptions, type OpenDatabase, openDatabase } from "./connection.js";
import { EscalationStore } from "./escalation-store.js";
import { MonitorQueries } from "./monitor-queries.js";
import { OutboxStore } from "./outbox-store.js";
import { ProcessStore } from "./process-store.js";
import { QueueStore } from "./queue-store.js";
import { ReviewPostStore } from "./review-post-store.js";
import { createReviewQueries } from "./review-queries.js";
import { RoutingExampleStore } from "./routing-example-store.js";
import { ScheduleStore } from "./schedule-store.js";
import { StatusQueries } from "./status-queries.js";
import type { Store } from "./store.js";
import { TaskStore } from "./task-store.js";

/** The SQLite store: the `Store` port with the concrete classes, and the database under them. */
export interface SqliteStore extends Store<"sync"> {
  readonly tasks: TaskStore;
  readonly queue: QueueStore;
  readonly outbox: OutboxStore;
  readonly escalations: EscalationStore;
  readonly processes: ProcessStore;
  readonly monitor: MonitorQueries;
  readonly reviewPosts: ReviewPostStore;
  readonly status: StatusQueries;
  readonly chatRefs: ChatRefRows;
  readonly schedules: ScheduleStore;
  readonly routingExamples: RoutingExampleStore;
  readonly database: OpenDatabase;
}

/** The stores over one open database; `close()` closes it. */
export function sqliteStore(database: OpenDatabase, clock: Clock): SqliteStore {
  const tasks = new TaskStore(database.db, clock, database.writes);
  return {
    tasks,
    queue: new QueueStore(database.db, tasks, clock),
    outbox: new OutboxStore(database.db, clock),
    escalations: new EscalationStore(database.db),
    processes: new ProcessStore(database.db, clock),
    monitor: new MonitorQueries(database.sqlite),
    review: createReviewQueries(database.sqlite),
    reviewPosts: new ReviewPostStore(database.db),
    status: new StatusQueries(database.db),
    chatRefs: new ChatRefRows(database.db, clock),
    schedules: new ScheduleStore(database.db),
    routingExamples: new RoutingExampleStore(database.db),
    database,
    committed: () => tasks.committed(),
    close: () => database.close(),
  };
}

/** Opens (creating and migrating if needed) the SQLite file and the stores over it. */
export function openSqliteStore(
  file: string,
  clock: Clock,
  options?: DatabaseOptions,
): SqliteStore {
  return sqliteStore(openDatabase(file, options), clock);
}
