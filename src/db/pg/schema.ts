import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import type { BriefField } from "../../core/brief.js";
import type { FailureClass } from "../../core/failures.js";
import type { Role } from "../../core/roles.js";
import type { TaskState } from "../../core/states.js";
import type { RoutingTrace, SourceRef } from "../../core/task.js";
import type { StoredOrigin } from "../../routing/learned.js";

/**
 * The PostgreSQL mirror of `../schema.ts`: the same tables, columns and keys, so a SQLite
 * database can be copied over whole. Change both together (`npm run db:generate` writes the
 * migrations of each dialect).
 */

/** Times are milliseconds since the epoch, from the injected clock: past what 32 bits hold. */
const at = (name: string) => bigint(name, { mode: "number" });
/**
 * Ids are given by the database (by default: a copied database brings its own), 32 bits like
 * every other integer here, so they come back from the driver as numbers.
 */
const id = () => integer("id").primaryKey().generatedByDefaultAsIdentity();

export const tasks = pgTable(
  "tasks",
  {
    id: id(),
    state: text("state").$type<TaskState>().notNull(),
    objective: text("objective").notNull().default(""),
    inputs: jsonb("inputs").$type<string[]>().notNull().default([]),
    constraints: jsonb("constraints").$type<string[]>().notNull().default([]),
    outputFormat: text("output_format").notNull().default(""),
    acceptanceCriteria: jsonb("acceptance_criteria").$type<string[]>().notNull().default([]),
    /** Brief fields intake could not determine; asked of the requester. */
    missingFields: jsonb("missing_fields").$type<BriefField[]>().notNull().default([]),
    /** What reviewers and workers said was wrong, carried into the next attempt. */
    feedback: jsonb("feedback").$type<string[]>().notNull().default([]),
    category: text("category").notNull(),
    routing: jsonb("routing").$type<RoutingTrace>().notNull(),
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
    sourceRef: jsonb("source_ref").$type<SourceRef>().notNull().default({}),
    /** Idempotency key of the delivery that created the task (webhooks, schedules). */
    dedupeKey: text("dedupe_key"),
    output: text("output"),
    outputMeta: jsonb("output_meta").$type<Record<string, unknown>>(),
    deliveredAt: at("delivered_at"),
    failureClass: text("failure_class").$type<FailureClass>(),
    lastError: text("last_error"),
    createdAt: at("created_at").notNull(),
    updatedAt: at("updated_at").notNull(),
    stateSince: at("state_since").notNull(),
  },
  (table) => [
    // The partial indexes of the SQLite schema (see there why each exists); claims read
    // tasks_queue in its order, expired-lease recovery tasks_lease.
    index("tasks_queue")
      .on(table.category, table.priority.desc(), table.nextRunAt)
      .where(sql`"state" = 'queued'`),
    index("tasks_retry_due").on(table.nextRunAt).where(sql`"state" = 'retry_wait'`),
    index("tasks_lease").on(table.leaseExpiresAt).where(sql`"state" IN ('running', 'reviewing')`),
    index("tasks_created").on(table.createdAt, table.category),
    uniqueIndex("tasks_dedupe")
      .on(table.source, table.dedupeKey)
      .where(sql`"dedupe_key" IS NOT NULL`),
    index("tasks_stall")
      .on(table.state, table.category, table.stateSince)
      .where(sql`"state" NOT IN ('done', 'cancelled')`),
    index("tasks_undelivered")
      .on(table.stateSince)
      .where(sql`"state" = 'done' AND "delivered_at" IS NULL`),
    index("tasks_missing_next")
      .on(table.category, table.stateSince)
      .where(sql`"state" = 'done' AND "next_id" IS NULL`),
    index("tasks_retries")
      .on(table.stateSince)
      .where(sql`"state" IN ('escalated', 'retry_wait') AND "attempts" >= "max_attempts" - 1`),
  ],
);

/** Append-only: one row per state change, written in the transaction that made it. */
export const taskEvents = pgTable(
  "task_events",
  {
    id: id(),
    taskId: integer("task_id")
      .notNull()
      .references(() => tasks.id),
    from: text("from").$type<TaskState>().notNull(),
    to: text("to").$type<TaskState>().notNull(),
    at: at("at").notNull(),
    /** When the task entered `from`: the stay this event ends (null on old rows). */
    enteredAt: at("entered_at"),
    actor: text("actor").notNull(),
    reason: text("reason").notNull(),
    data: jsonb("data").$type<Record<string, unknown>>(),
  },
  (table) => [
    index("task_events_task").on(table.taskId, table.id),
    index("task_events_from").on(table.from, table.id),
    index("task_events_actions")
      .on(table.at, table.taskId)
      .where(sql`("data" ->> 'action') IS NOT NULL`),
  ],
);

/** One row per time a worker took a task. */
export const attempts = pgTable(
  "attempts",
  {
    id: id(),
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
    meta: jsonb("meta").$type<Record<string, unknown>>(),
  },
  (table) => [
    index("attempts_task").on(table.taskId, table.number),
    index("attempts_ended")
      .on(table.endedAt, table.outcome, table.failureClass, table.taskId)
      .where(sql`"ended_at" IS NOT NULL`),
  ],
);

/** One escalation message: a root cause and the tasks it covers. */
export const escalations = pgTable(
  "escalations",
  {
    id: id(),
    state: text("state").$type<"staged" | "open" | "resolved">().notNull(),
    rootCause: text("root_cause").notNull(),
    failureClass: text("failure_class"),
    category: text("category"),
    worker: text("worker"),
    summary: text("summary").notNull(),
    urgent: boolean("urgent").notNull().default(false),
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

export const escalationTasks = pgTable(
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
export const anomalies = pgTable(
  "anomalies",
  {
    id: id(),
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
export const incidents = pgTable(
  "incidents",
  {
    id: id(),
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
export const outbox = pgTable(
  "outbox",
  {
    id: id(),
    kind: text("kind").notNull(),
    key: text("key").notNull(),
    taskId: integer("task_id"),
    escalationId: integer("escalation_id"),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
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
    index("outbox_pending").on(table.deliverAfter).where(sql`"delivered_at" IS NULL`),
  ],
);

/** The Steward processes sharing this database, each beating every few seconds. */
export const processes = pgTable("processes", {
  id: text("id").primaryKey(),
  host: text("host").notNull(),
  pid: integer("pid").notNull(),
  roles: jsonb("roles").$type<Role[]>().notNull().default([]),
  categories: jsonb("categories").$type<string[]>().notNull().default([]),
  // Empty for a row written before versions were kept.
  version: text("version").notNull().default(""),
  // Empty for a row written before config fingerprints were kept.
  config: text("config").notNull().default(""),
  startedAt: at("started_at").notNull(),
  heartbeatAt: at("heartbeat_at").notNull(),
  goneAt: at("gone_at"),
});

/** When each schedule last fired, so a run missed while down is filed once on start. */
export const scheduleRuns = pgTable("schedule_runs", {
  name: text("name").primaryKey(),
  lastFiredAt: at("last_fired_at").notNull(),
});

/** The months whose review has been queued: a month is posted once. */
export const reviewPosts = pgTable("review_posts", {
  month: text("month").primaryKey(),
  queuedAt: at("queued_at").notNull(),
});

/** Where a chat adapter put the message it keeps editing for a task or an escalation. */
export const chatRefs = pgTable(
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

/** People's routing decisions and forgotten confirmations, as on SQLite (`src/db/schema.ts`). */
export const routingExamples = pgTable("routing_examples", {
  id: id(),
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
export type AttemptRow = typeof attempts.$inferSelect;
export type EscalationRow = typeof escalations.$inferSelect;
export type IncidentRow = typeof incidents.$inferSelect;
