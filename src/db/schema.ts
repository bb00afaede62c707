import { sql } from "drizzle-orm";
import {
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";
import type { BriefField } from "../core/brief.js";
import type { FailureClass } from "../core/failures.js";
import type { Role } from "../core/roles.js";
import type { TaskState } from "../core/states.js";
import type { RoutingTrace, SourceRef } from "../core/task.js";
import type { StoredOrigin } from "../routing/learned.js";

/** Times are integers: milliseconds since the epoch, from the injected clock. */
const at = (name: string) => integer(name);

export const tasks = sqliteTable(
  "tasks",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    state: text("state").$type<TaskState>().notNull(),
    objective: text("objective").notNull().default(""),
    inputs: text("inputs", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    constraints: text("constraints", { mode: "json" })
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'`),
    outputFormat: text("output_format").notNull().default(""),
    acceptanceCriteria: text("acceptance_criteria", { mode: "json" })
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'`),
    /** Brief fields intake could not determine; asked of the requester. */
    missingFields: text("missing_fields", { mode: "json" })
      .$type<BriefField[]>()
      .notNull()
      .default(sql`'[]'`),
    /** What reviewers and workers said was wrong, carried into the next attempt. */
    feedback: text("feedback", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    category: text("category").notNull(),
    routing: text("routing", { mode: "json" }).$type<RoutingTrace>().notNull(),
    priority: integer("priority").notNull().default(0),
    attempts: integer("attempts").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull(),
    nextRunAt: at("next_run_at").notNull(),
    leaseOwner: text("lease_owner"),
    leaseExpiresAt: at("lease_expires_at"),
    parentId: integer("parent_id"),
    nextId: integer("next_id"),
    requester: text("requester").notNull(),
    source: text("source").notNull(),
    sourceRef: text("source_ref", { mode: "json" }).$type<SourceRef>().notNull().default(sql`'{}'`),
    /** Idempotency key of the delivery that created the task (webhooks, schedules). */
    dedupeKey: text("dedupe_key"),
    output: text("output"),
    outputMeta: text("output_meta", { mode: "json" }).$type<Record<string, unknown>>(),
    deliveredAt: at("delivered_at"),
    failureClass: text("failure_class").$type<FailureClass>(),
    lastError: text("last_error"),
    createdAt: at("created_at").notNull(),
    updatedAt: at("updated_at").notNull(),
    stateSince: at("state_since").notNull(),
  },
  (table) => [
    // Every transition rewrites the entries of the indexes that hold its task, so the indexes
    // on the hot path are partial: each holds only the tasks in the states its readers ask
    // about, and a task leaves them for good once done. (Queries must repeat the conditions.)
    // The claim order over queued tasks only, priority descending as claims read it: one
    // range in the index's order, no sort.
    index("tasks_queue")
      .on(table.category, sql`${table.priority} DESC`, table.nextRunAt)
      .where(sql`"state" = 'queued'`),
    // Tasks waiting out a retry delay, by when they fall due: what the pool promotes.
    index("tasks_retry_due").on(table.nextRunAt).where(sql`"state" = 'retry_wait'`),
    // Leases a worker holds: what expired-lease recovery reads.
    index("tasks_lease").on(table.leaseExpiresAt).where(sql`"state" IN ('running', 'reviewing')`),
    // The monthly review's month of tasks. Their state and since when are read from the rows:
    // in the index, every transition rewrote its entry, costing the pool more than the review
    // gained (docs/performance.md).
    index("tasks_created").on(table.createdAt, table.category),
    uniqueIndex("tasks_dedupe")
      .on(table.source, table.dedupeKey)
      .where(sql`"dedupe_key" IS NOT NULL`),
    // The status checker reads only the unfinished tasks past a stall cutoff, per (state, category).
    index("tasks_stall")
      .on(table.state, table.category, table.stateSince)
      .where(sql`"state" NOT IN ('done', 'cancelled')`),
    // Done tasks still owed a delivery or a next step are a few among all done tasks ever:
    // partial indexes let the checker read those few (queries must repeat these conditions).
    index("tasks_undelivered")
      .on(table.stateSince)
      .where(sql`"state" = 'done' AND "delivered_at" IS NULL`),
    index("tasks_missing_next")
      .on(table.category, table.stateSince)
      .where(sql`"state" = 'done' AND "next_id" IS NULL`),
    // Escalated or retry-waiting tasks on their last attempt or past it: what the retry rules read.
    index("tasks_retries")
      .on(table.stateSince)
      .where(sql`"state" IN ('escalated', 'retry_wait') AND "attempts" >= "max_attempts" - 1`),
  ],
);

/** Append-only: one row per state change, written in the transaction that made it. */
export const taskEvents = sqliteTable(
  "task_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    taskId: integer("task_id")
      .notNull()
      .references(() => tasks.id),
    from: text("from").$type<TaskState>().notNull(),
    to: text("to").$type<TaskState>().notNull(),
    at: at("at").notNull(),
    /**
     * When the task entered `from`: the stay this event ends, known without reading the event
     * before it. Null on rows written before it was recorded.
     */
    enteredAt: at("entered_at"),
    actor: text("actor").notNull(),
    reason: text("reason").notNull(),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>(),
  },
  (table) => [
    index("task_events_task").on(table.taskId, table.id),
    // The status checker's medians: the most recent stays that ended in one state.
    index("task_events_from").on(table.from, table.id),
    // Operator actions are a few rows among millions: the review reads them without a scan.
    index("task_events_actions")
      .on(table.at, table.taskId)
      .where(sql`json_extract("data", '$.action') IS NOT NULL`),
  ],
);

/** One row per time a worker took a task. */
export const attempts = sqliteTable(
  "attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    taskId: integer("task_id")
      .notNull()
      .references(() => tasks.id),
    number: integer("number").notNull(),
    worker: text("worker").notNull(),
    startedAt: at("started_at").notNull(),
    endedAt: at("ended_at"),
    outcome: text("outcome").$type<"running" | "succeeded" | "failed" | "abandoned">().notNull(),
    failureClass: text("failure_class").$type<FailureClass>(),
    error: text("error"),
    meta: text("meta", { mode: "json" }).$type<Record<string, unknown>>(),
  },
  (table) => [
    index("attempts_task").on(table.taskId, table.number),
    // The review reads one month of finished attempts: outcome and class from the index alone.
    // Finished attempts only, so starting one does not write here and its end is an append.
    index("attempts_ended")
      .on(table.endedAt, table.outcome, table.failureClass, table.taskId)
      .where(sql`"ended_at" IS NOT NULL`),
  ],
);

/** One escalation message: a root cause and the tasks it covers. */
export const escalations = sqliteTable(
  "escalations",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    state: text("state").$type<"staged" | "open" | "resolved">().notNull(),
    rootCause: text("root_cause").notNull(),
    failureClass: text("failure_class"),
    category: text("category"),
    worker: text("worker"),
    summary: text("summary").notNull(),
    urgent: integer("urgent", { mode: "boolean" }).notNull().default(false),
    createdAt: at("created_at").notNull(),
    postAfter: at("post_after").notNull(),
    postedAt: at("posted_at"),
    remindedAt: at("reminded_at"),
    resolvedAt: at("resolved_at"),
    resolution: text("resolution"),
    resolvedBy: text("resolved_by"),
  },
  (table) => [
    index("escalations_state").on(table.state, table.postAfter),
    index("escalations_root").on(table.rootCause, table.state),
    index("escalations_created").on(table.createdAt),
  ],
);

export const escalationTasks = sqliteTable(
  "escalation_tasks",
  {
    escalationId: integer("escalation_id")
      .notNull()
      .references(() => escalations.id),
    taskId: integer("task_id")
      .notNull()
      .references(() => tasks.id),
    reason: text("reason").notNull(),
    addedAt: at("added_at").notNull(),
    resolvedAt: at("resolved_at"),
    resolution: text("resolution"),
  },
  (table) => [
    primaryKey({ columns: [table.escalationId, table.taskId] }),
    index("escalation_tasks_task").on(table.taskId),
  ],
);

/** Findings of the status checker; one open row per (rule, task) at a time. */
export const anomalies = sqliteTable(
  "anomalies",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    rule: text("rule").notNull(),
    taskId: integer("task_id").references(() => tasks.id),
    subject: text("subject").notNull(),
    detail: text("detail").notNull(),
    detectedAt: at("detected_at").notNull(),
    resolvedAt: at("resolved_at"),
  },
  (table) => [
    index("anomalies_open").on(table.resolvedAt, table.rule, table.subject),
    index("anomalies_detected").on(table.detectedAt),
  ],
);

/** A worker's dependency is down: the worker is paused while an incident is open. */
export const incidents = sqliteTable(
  "incidents",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    worker: text("worker").notNull(),
    error: text("error").notNull(),
    startedAt: at("started_at").notNull(),
    nextProbeAt: at("next_probe_at").notNull(),
    probes: integer("probes").notNull().default(0),
    resolvedAt: at("resolved_at"),
  },
  (table) => [index("incidents_open").on(table.resolvedAt, table.worker)],
);

/** Everything meant for a person, written with the change that caused it, delivered once. */
export const outbox = sqliteTable(
  "outbox",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind").notNull(),
    key: text("key").notNull(),
    taskId: integer("task_id"),
    escalationId: integer("escalation_id"),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    createdAt: at("created_at").notNull(),
    deliverAfter: at("deliver_after").notNull(),
    attempts: integer("attempts").notNull().default(0),
    deliveredAt: at("delivered_at"),
    lastError: text("last_error"),
    /** A deliverer is sending it until then (`claim`): no other takes it meanwhile. */
    claimedUntil: at("claimed_until"),
  },
  (table) => [
    uniqueIndex("outbox_key").on(table.key),
    // Undelivered messages only: a delivered one leaves the index.
    index("outbox_pending").on(table.deliverAfter).where(sql`"delivered_at" IS NULL`),
  ],
);

/**
 * The Steward processes sharing this database, each beating every few seconds: what roles it
 * holds and which categories it works. A process that stops beating is stale; one that closed
 * says so (`gone_at`).
 */
export const processes = sqliteTable("processes", {
  id: text("id").primaryKey(),
  host: text("host").notNull(),
  pid: integer("pid").notNull(),
  roles: text("roles", { mode: "json" }).$type<Role[]>().notNull().default(sql`'[]'`),
  categories: text("categories", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
  // Empty for a row written before versions were kept.
  version: text("version").notNull().default(""),
  // Empty for a row written before config fingerprints were kept.
  config: text("config").notNull().default(""),
  startedAt: at("started_at").notNull(),
  heartbeatAt: at("heartbeat_at").notNull(),
  goneAt: at("gone_at"),
});

/** When each schedule last fired, so a run missed while down is filed once on start. */
export const scheduleRuns = sqliteTable("schedule_runs", {
  name: text("name").primaryKey(),
  lastFiredAt: at("last_fired_at").notNull(),
});

/**
 * The months whose review `review.schedule` has queued (through the outbox): a month is posted
 * once, however often Steward restarts or however many ticks it missed while down.
 */
export const reviewPosts = sqliteTable("review_posts", {
  month: text("month").primaryKey(),
  queuedAt: at("queued_at").notNull(),
});

/**
 * Where a chat adapter put the message it keeps editing for a task (its card) or an escalation,
 * and the thread it talks in, so later notices land in the same place after a restart.
 */
export const chatRefs = sqliteTable(
  "chat_refs",
  {
    kind: text("kind").$type<"task" | "escalation">().notNull(),
    subjectId: integer("subject_id").notNull(),
    channelId: text("channel_id").notNull(),
    messageId: text("message_id").notNull(),
    threadId: text("thread_id"),
    updatedAt: at("updated_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.kind, table.subjectId] })],
);

/**
 * People's routing decisions, kept as labelled examples the router learns from (reroutes,
 * categories named at filing), and the confirmations a person asked it to forget (`unconfirmed`).
 * A confirmation itself is its task, done where the router placed it: nothing is stored for it.
 * Rows are only added or forgotten, never edited. No index: the table is a few rows for each
 * decision a person made, read whole at start-up.
 */
export const routingExamples = sqliteTable("routing_examples", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  // Null in an `unconfirmed` row: it names its task only.
  text: text("text"),
  category: text("category").notNull(),
  fromCategory: text("from_category"),
  origin: text("origin").$type<StoredOrigin>().notNull(),
  taskId: integer("task_id"),
  actor: text("actor").notNull(),
  at: at("at").notNull(),
});

export type TaskRow = typeof tasks.$inferSelect;
export type NewTaskRow = typeof tasks.$inferInsert;
export type TaskEventRow = typeof taskEvents.$inferSelect;
export type AttemptRow = typeof attempts.$inferSelect;
export type EscalationRow = typeof escalations.$inferSelect;
export type OutboxRow = typeof outbox.$inferSelect;
export type AnomalyRow = typeof anomalies.$inferSelect;
export type IncidentRow = typeof incidents.$inferSelect;
export type ChatRefRow = typeof chatRefs.$inferSelect;
