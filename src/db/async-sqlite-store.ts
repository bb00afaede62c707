import { CHAT_REF_METHODS, type ChatRefStore } from "../core/chat-refs.js";
import type { Clock } from "../core/clock.js";
import type { Outbox } from "../core/outbox.js";
import type { QueueRepository, TaskRepository } from "../core/ports.js";
import type { ProcessRegistry } from "../core/processes.js";
import { type MethodNames, promised } from "../core/promised.js";
import type { ScheduleRuns } from "../core/schedule-runs.js";
import type { StatusReads } from "../core/status-reads.js";
import type { EscalationGroups } from "../escalation/store.js";
import type { MonitorStore } from "../monitor/store.js";
import type { ReviewPosts, ReviewQueries } from "../review/port.js";
import type { LearnedExamples } from "../routing/learned.js";
import { AsyncWrites } from "./async-writes.js";
import type { DatabaseOptions } from "./connection.js";
import { openSqliteStore, type SqliteStore } from "./sqlite-store.js";
import type { Store } from "./store.js";

/**
 * The SQLite store spoken through the asynchronous ports (`Store<"async">`): for code and tests
 * written against that contract, the PostgreSQL store's, so one contract suite
 * (`tests/contract/`) holds both; and for the engine's move onto that contract.
 *
 * A write keeps the connection for the whole of its `work`, awaits included, so writes run one at
 * a time (see AsyncWrites); so does every other call, which outside a write is a write of its own
 * (on one connection, a call running beside an open write would be part of it, undone with it).
 */
export function openAsyncSqliteStore(
  file: string,
  clock: Clock,
  options?: DatabaseOptions,
): Store<"async"> {
  return asyncSqliteStore(openSqliteStore(file, clock, options));
}

/** The asynchronous face of `store`; its `close()` closes the store. */
export function asyncSqliteStore(store: SqliteStore): Store<"async"> {
  const writes = new AsyncWrites(store.database);
  const call = <T>(run: () => T): Promise<T> => writes.call(run);
  const tasks: TaskRepository<"async"> = {
    ...promised<Omit<TaskRepository, "write">>(store.tasks, TASK_METHODS, call),
    write: (work, options) => writes.write(work, options),
  };
  return {
    tasks,
    queue: promised<QueueRepository>(store.queue, QUEUE_METHODS, call),
    outbox: promised<Outbox>(store.outbox, OUTBOX_METHODS, call),
    escalations: promised<EscalationGroups>(store.escalations, ESCALATION_METHODS, call),
    processes: promised<ProcessRegistry>(store.processes, PROCESS_METHODS, call),
    monitor: {
      ...promised<Omit<MonitorStore, "transaction">>(store.monitor, MONITOR_METHODS, call),
      transaction: (work) => writes.write(work),
    },
    review: {
      ...promised<Omit<ReviewQueries, "snapshot">>(store.review, REVIEW_METHODS, call),
      // A write's transaction is a snapshot too: nothing else writes while it is open.
      snapshot: (work) => writes.write(work),
    },
    reviewPosts: promised<ReviewPosts>(store.reviewPosts, REVIEW_POST_METHODS, call),
    status: promised<StatusReads>(store.status, STATUS_METHODS, call),
    chatRefs: promised<ChatRefStore>(store.chatRefs, CHAT_REF_METHODS, call),
    schedules: promised<ScheduleRuns>(store.schedules, SCHEDULE_METHODS, call),
    routingExamples: promised<LearnedExamples>(
      store.routingExamples,
      ROUTING_EXAMPLE_METHODS,
      call,
    ),
    committed: () => writes.committed(),
    close: async () => {
      await writes.idle();
      store.close();
    },
  };
}

const TASK_METHODS: MethodNames<Omit<TaskRepository, "write">> = {
  create: true,
  transition: true,
  advance: true,
  update: true,
  get: true,
  require: true,
  events: true,
  findByDedupeKey: true,
};
const QUEUE_METHODS: MethodNames<QueueRepository> = {
  claim: true,
  promoteDueRetries: true,
  renewLeases: true,
  recoverLeases: true,
  requeueHeld: true,
  finishAttempt: true,
  attemptsOf: true,
  openIncidents: true,
  openIncident: true,
  scheduleProbe: true,
  resolveIncident: true,
};
const OUTBOX_METHODS: MethodNames<Outbox> = {
  add: true,
  pending: true,
  claim: true,
  markDelivered: true,
  markFailed: true,
  undelivered: true,
  backlog: true,
};
const PROCESS_METHODS: MethodNames<ProcessRegistry> = {
  register: true,
  beat: true,
  gone: true,
  list: true,
};
const ESCALATION_METHODS: MethodNames<EscalationGroups> = {
  stage: true,
  due: true,
  markPosted: true,
  get: true,
  tasksOf: true,
  open: true,
  openGroupOf: true,
  resolveTask: true,
  resolveIfSettled: true,
};
const MONITOR_METHODS: MethodNames<Omit<MonitorStore, "transaction">> = {
  stalled: true,
  retrying: true,
  undelivered: true,
  missingNext: true,
  unanswered: true,
  stays: true,
  openAnomalies: true,
  insertAnomaly: true,
  resolveAnomaly: true,
  markReminded: true,
};
const REVIEW_METHODS: MethodNames<Omit<ReviewQueries, "snapshot">> = {
  createdTasks: true,
  endedAttempts: true,
  escalationsByRootCause: true,
  interventions: true,
  anomaliesByRule: true,
  catchAll: true,
  reroutes: true,
  repeatedLogicFailures: true,
  dailyEscalations: true,
  escalationItems: true,
  otherInterventions: true,
  reroutedTasks: true,
};
const REVIEW_POST_METHODS: MethodNames<ReviewPosts> = { claim: true, months: true };
const STATUS_METHODS: MethodNames<StatusReads> = {
  openTaskIds: true,
  openCounts: true,
  counts: true,
  waitingForDetails: true,
  inFlight: true,
  moving: true,
};
const SCHEDULE_METHODS: MethodNames<ScheduleRuns> = { lastFiredAt: true, record: true };
const ROUTING_EXAMPLE_METHODS: MethodNames<LearnedExamples> = {
  add: true,
  list: true,
  recent: true,
  remove: true,
};
