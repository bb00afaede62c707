import type { ChatRefStore } from "../core/chat-refs.js";
import type { Clock } from "../core/clock.js";
import type { Outbox } from "../core/outbox.js";
import type { QueueRepository, TaskRepository } from "../core/ports.js";
import type { ProcessRegistry } from "../core/processes.js";
import type { ScheduleRuns } from "../core/schedule-runs.js";
import type { StatusReads } from "../core/status-reads.js";
import type { EscalationGroups } from "../escalation/store.js";
import type { MonitorStore } from "../monitor/store.js";
import type { ReviewPosts, ReviewQueries } from "../review/port.js";
import type { LearnedExamples } from "../routing/learned.js";
import { AsyncWrites } from "./async-writes.js";
import type { DatabaseOptions } from "./connection.js";
import { type Access, type MethodNames, promised } from "./promised.js";
import { openSqliteStore, type SqliteStore } from "./sqlite-store.js";
import type { Store } from "./store.js";

/**
 * The SQLite store spoken through the asynchronous ports (`Store<"async">`): for code and tests
 * written against that contract, the PostgreSQL store's, so one contract suite
 * (`tests/contract/`) holds both; and for the engine's move onto that contract.
 *
 * A write keeps the connection for the whole of its `work`, awaits included, so writes run one at
 * a time (see AsyncWrites); so does every other call, which outside a write is a write of its own
 * (on one connection, a call running beside an open write would be part of it, undone with it),
 * except a read, which takes its turn and commits nothing (an open group stays open).
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
  const call = <T>(run: () => T, access: Access): Promise<T> =>
    access === "read" ? writes.read(run) : writes.call(run);
  const tasks: TaskRepository<"async"> = {
    ...promised<Omit<TaskRepository, "write" | "afterCommit">>(store.tasks, TASK_METHODS, call),
    write: (work, options) => writes.write(work, options),
    afterCommit: (done) => writes.afterCommit(done),
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

const TASK_METHODS: MethodNames<Omit<TaskRepository, "write" | "afterCommit">> = {
  create: "write",
  transition: "write",
  advance: "write",
  update: "write",
  get: "read",
  require: "read",
  stateOf: "read",
  events: "read",
  findByDedupeKey: "read",
  latestFrom: "read",
};
const QUEUE_METHODS: MethodNames<QueueRepository> = {
  claim: "write",
  promoteDueRetries: "write",
  renewLeases: "write",
  recoverLeases: "write",
  recoverStopped: "write",
  requeueHeld: "write",
  finishAttempt: "write",
  endAttempt: "write",
  attemptsOf: "read",
  openIncidents: "read",
  openIncident: "write",
  scheduleProbe: "write",
  resolveIncident: "write",
};
const OUTBOX_METHODS: MethodNames<Outbox> = {
  add: "write",
  pending: "read",
  claim: "write",
  markDelivered: "write",
  markFailed: "write",
  undelivered: "read",
  backlog: "read",
};
const PROCESS_METHODS: MethodNames<ProcessRegistry> = {
  register: "write",
  beat: "write",
  gone: "write",
  list: "read",
};
const ESCALATION_METHODS: MethodNames<EscalationGroups> = {
  stage: "write",
  due: "read",
  markPosted: "write",
  get: "read",
  tasksOf: "read",
  open: "read",
  openGroupOf: "read",
  resolveTask: "write",
  resolveIfSettled: "write",
};
const MONITOR_METHODS: MethodNames<Omit<MonitorStore, "transaction">> = {
  stalled: "read",
  retrying: "read",
  undelivered: "read",
  missingNext: "read",
  unanswered: "read",
  stays: "read",
  openAnomalies: "read",
  insertAnomaly: "write",
  resolveAnomaly: "write",
  markReminded: "write",
};
const REVIEW_METHODS: MethodNames<Omit<ReviewQueries, "snapshot">> = {
  createdTasks: "read",
  endedAttempts: "read",
  escalationsByRootCause: "read",
  interventions: "read",
  anomaliesByRule: "read",
  catchAll: "read",
  reroutes: "read",
  repeatedLogicFailures: "read",
  dailyEscalations: "read",
  escalationItems: "read",
  otherInterventions: "read",
  reroutedTasks: "read",
};
const REVIEW_POST_METHODS: MethodNames<ReviewPosts> = { claim: "write", months: "read" };
const STATUS_METHODS: MethodNames<StatusReads> = {
  openTaskIds: "read",
  openCounts: "read",
  counts: "read",
  waitingForDetails: "read",
  inFlight: "read",
  moving: "read",
};
const CHAT_REF_METHODS: MethodNames<ChatRefStore> = {
  get: "read",
  save: "write",
  setThread: "write",
};
const SCHEDULE_METHODS: MethodNames<ScheduleRuns> = { lastFiredAt: "read", record: "write" };
const ROUTING_EXAMPLE_METHODS: MethodNames<LearnedExamples> = {
  add: "write",
  list: "read",
  recent: "read",
  remove: "write",
  confirmations: "read",
  unconfirm: "write",
  forgottenConfirmations: "read",
};
