import { and, asc, eq, inArray, isNotNull, isNull, lt, lte, or, type SQL, sql } from "drizzle-orm";
import { type PgColumn, PgDialect } from "drizzle-orm/pg-core";
import type { Attempt } from "../../core/attempt.js";
import type { Clock } from "../../core/clock.js";
import type {
  AttemptEnd,
  AttemptEnding,
  Claimed,
  Incident,
  QueueRepository,
  TaskMove,
  TransitionStep,
} from "../../core/ports.js";
import type { Actor } from "../../core/states.js";
import type { Task } from "../../core/task.js";
import { requeueStep } from "../requeue-step.js";
import { attemptEndColumns, fillAttemptEnd } from "./attempt-end.js";
import { lockUntilCommit } from "./locks.js";
import { Prepared, placeholder } from "./prepared.js";
import { attempts, incidents, processes, tasks } from "./schema.js";
import { HOLDING_LEASE, QUEUED, RETRY_WAITING } from "./task-conditions.js";
import { decodeTask, insertEvents, type PgTaskStore, TASK_COLUMNS } from "./task-store.js";
import type { Transactions } from "./transactions.js";

/** Highest priority, then oldest: tasks_queue's own order (its priority is DESC NULLS LAST). */
const CLAIM_ORDER = [sql`${tasks.priority} DESC NULLS LAST`, asc(tasks.nextRunAt), asc(tasks.id)];

/** An attempt's end, written once per task (see Prepared). */
const FINISH_ATTEMPT = new Prepared("steward_finish_attempt", (db) =>
  db
    .update(attempts)
    .set(attemptEndColumns())
    .where(eq(attempts.id, placeholder("id"))),
);

/**
 * A claim of the due tasks of a category, up to a limit, in one statement: an UPDATE whose CTE
 * picks them (FOR UPDATE SKIP LOCKED), and the INSERT of an attempt per task it moved (a
 * data-modifying CTE over the UPDATE's rows). Returns each task moved, when it had entered the
 * queue and its attempt's id.
 */
const CLAIM = new Prepared(
  "steward_claim",
  (db) => {
    const due = db.$with("due").as(
      db
        .select({ id: tasks.id, enteredAt: tasks.stateSince })
        .from(tasks)
        .where(
          and(
            QUEUED,
            eq(tasks.category, placeholder("category")),
            lte(tasks.nextRunAt, placeholder("now")),
          ),
        )
        .orderBy(...CLAIM_ORDER)
        .limit(sql.placeholder("limit"))
        .for("update", { skipLocked: true }),
    );
    const moved = db
      .with(due)
      .update(tasks)
      .set({
        state: sql`'running'`,
        attempts: sql`${tasks.attempts} + 1`,
        leaseOwner: placeholder("owner"),
        leaseExpiresAt: placeholder("leaseExpiresAt"),
        updatedAt: placeholder("now"),
        stateSince: placeholder("now"),
      })
      .from(due)
      .where(eq(tasks.id, due.id))
      .returning({ ...TASK_COLUMNS, enteredAt: due.enteredAt });
    // Typed: in a SELECT, unlike in an INSERT's VALUES, a parameter's type is not the column's.
    const typed = (name: string, column: PgColumn) =>
      sql`${placeholder(name)}::${sql.raw(column.getSQLType())}`;
    const column = (of: PgColumn) => sql.identifier(of.name);
    const statement = sql`with claimed as (${moved.getSQL()}), started as (insert into ${attempts} (${column(attempts.taskId)}, ${column(attempts.number)}, ${column(attempts.worker)}, ${column(attempts.startedAt)}, ${column(attempts.outcome)}) select ${column(tasks.id)}, ${column(tasks.attempts)}, ${typed("worker", attempts.worker)}, ${typed("now", attempts.startedAt)}, 'running' from claimed returning ${column(attempts.id)}, ${column(attempts.taskId)}) select claimed.*, started.${column(attempts.id)} from claimed join started on started.${column(attempts.taskId)} = claimed.${column(tasks.id)}`;
    return { toSQL: () => DIALECT.sqlToQuery(statement) };
  },
  (row) => ({
    task: decodeTask(row),
    enteredAt: Number(row[TASK_COLUMN_COUNT]),
    attemptId: Number(row[TASK_COLUMN_COUNT + 1]),
  }),
);
const TASK_COLUMN_COUNT = Object.keys(TASK_COLUMNS).length;
const DIALECT = new PgDialect();

/** `CLAIM_ORDER` for rows in hand. */
function inClaimOrder(a: Task, b: Task): number {
  return b.priority - a.priority || a.nextRunAt - b.nextRunAt || a.id - b.id;
}

/**
 * The queue on PostgreSQL, shared by processes on several hosts. Whatever moves tasks reads
 * them with FOR UPDATE SKIP LOCKED inside its write: a row another process is moving is
 * locked, so it is passed over rather than waited for, and never moved twice.
 */
export class PgQueueStore implements QueueRepository<"async"> {
  constructor(
    private readonly transactions: Transactions,
    private readonly tasks: PgTaskStore,
    private readonly clock: Clock,
  ) {}

  /**
   * One statement moves the claimed tasks and starts their attempts (see CLAIM); their events are
   * one INSERT after it: a claim costs the same two round trips for one task or for `limit` of
   * them. (The move is queued → running, allowed by the lifecycle; the CTE picks queued tasks
   * only.)
   */
  async claim(
    category: string,
    worker: string,
    limit: number,
    owner: Actor,
    leaseMs: number,
  ): Promise<Claimed[]> {
    if (limit <= 0) return [];
    const now = this.clock.now();
    const { transactions } = this;
    return transactions.atomic(async () => {
      const moved = await CLAIM.run(transactions, {
        category,
        now,
        limit,
        owner,
        worker,
        leaseExpiresAt: now + leaseMs,
      });
      if (moved.length === 0) return [];
      // RETURNING keeps no order: claims are handed out in the order they were picked.
      moved.sort((a, b) => inClaimOrder(a.task, b.task));
      await insertEvents(
        transactions,
        moved.map(({ task, enteredAt }) => ({
          taskId: task.id,
          from: "queued",
          to: "running",
          at: now,
          enteredAt,
          actor: `worker:${worker}`,
          reason: `attempt ${task.attempts} started by ${worker}`,
          data: { attempt: task.attempts, worker },
        })),
      );
      return moved.map(({ task, attemptId }) => ({ task, attemptId }));
    });
  }

  promoteDueRetries(): Promise<number> {
    return this.transactions.write(async () => {
      const due = await this.lockFree(and(RETRY_WAITING, lte(tasks.nextRunAt, this.clock.now())));
      for (const waiting of due) {
        const step: TransitionStep = { to: "queued", actor: "system", reason: "retry wait over" };
        await this.tasks.advance(waiting.id, [step], waiting);
      }
      return due.length;
    });
  }

  /**
   * Skips (SKIP LOCKED) a row another write holds, rather than wait for it: a heartbeat that
   * waited on the owner's own pass, which moves several of the same rows in another order, could
   * deadlock with it. A skipped row still held is answered as held, renewed on the next beat.
   */
  async renewLeases(ids: readonly number[], owner: Actor, leaseMs: number): Promise<number[]> {
    if (ids.length === 0) return [];
    const holding = and(inArray(tasks.id, [...ids]), eq(tasks.leaseOwner, owner), HOLDING_LEASE);
    const free = this.db
      .select({ id: tasks.id })
      .from(tasks)
      .where(holding)
      .for("update", { skipLocked: true });
    const renewed = await this.db
      .update(tasks)
      .set({ leaseExpiresAt: this.clock.now() + leaseMs })
      .where(inArray(tasks.id, free))
      .returning({ id: tasks.id });
    const held =
      renewed.length === ids.length
        ? renewed
        : await this.db.select({ id: tasks.id }).from(tasks).where(holding);
    return held.map(({ id }) => id);
  }

  /**
   * Tasks left running or reviewing by a worker that is gone go back to the queue: expired
   * leases, or with `everyLease` every lease (a start-up that knows it is alone).
   */
  recoverLeases(options: { everyLease: boolean; reason: string }): Promise<Task[]> {
    const expired = options.everyLease ? undefined : lt(tasks.leaseExpiresAt, this.clock.now());
    return this.requeue(and(HOLDING_LEASE, expired), options.reason);
  }

  recoverStopped(since: number, reason: string): Promise<Task[]> {
    const stopped = this.db
      .select({ id: processes.id })
      .from(processes)
      .where(or(isNotNull(processes.goneAt), lt(processes.heartbeatAt, since)));
    return this.requeue(and(HOLDING_LEASE, inArray(tasks.leaseOwner, stopped)), reason);
  }

  async requeueHeld(ids: readonly number[], owner: Actor, reason: string): Promise<Task[]> {
    if (ids.length === 0) return [];
    return this.requeue(
      and(HOLDING_LEASE, inArray(tasks.id, [...ids]), eq(tasks.leaseOwner, owner)),
      reason,
    );
  }

  async finishAttempt(
    attemptId: number,
    outcome: Attempt["outcome"],
    end: AttemptEnd = {},
  ): Promise<void> {
    const values = fillAttemptEnd({ id: attemptId }, this.clock.now(), outcome, end);
    await FINISH_ATTEMPT.run(this.transactions, values);
  }

  endAttempt(move: TaskMove, ending: AttemptEnding): Promise<Task> {
    return this.tasks.endingAttempt(move, ending);
  }

  attemptsOf(taskId: number): Promise<Attempt[]> {
    return this.db
      .select()
      .from(attempts)
      .where(eq(attempts.taskId, taskId))
      .orderBy(asc(attempts.number));
  }

  openIncidents(): Promise<Incident[]> {
    return this.db.select().from(incidents).where(isNull(incidents.resolvedAt));
  }

  /**
   * Opens an incident for the worker unless one is open. Processes that see the same failure at
   * once take turns (a lock on the worker's name for the transaction), so one incident opens.
   */
  openIncident(
    worker: string,
    error: string,
    probeEveryMs: number,
  ): Promise<{ incident: Incident; opened: boolean }> {
    return this.transactions.write(async () => {
      await lockUntilCommit(this.db, "incident", worker);
      const [open] = await this.db
        .select()
        .from(incidents)
        .where(and(eq(incidents.worker, worker), isNull(incidents.resolvedAt)));
      if (open !== undefined) return { incident: open, opened: false };
      const now = this.clock.now();
      const [incident] = await this.db
        .insert(incidents)
        .values({ worker, error, startedAt: now, nextProbeAt: now + probeEveryMs })
        .returning();
      return { incident: incident!, opened: true };
    });
  }

  async scheduleProbe(incidentId: number, at: number): Promise<void> {
    await this.db
      .update(incidents)
      .set({ nextProbeAt: at, probes: sql`${incidents.probes} + 1` })
      .where(eq(incidents.id, incidentId));
  }

  async resolveIncident(incidentId: number): Promise<void> {
    await this.db
      .update(incidents)
      .set({ resolvedAt: this.clock.now() })
      .where(eq(incidents.id, incidentId));
  }

  private get db() {
    return this.transactions.db;
  }

  /**
   * The tasks matching `where` that no other transaction holds, locked for this one until it
   * ends; in claim order (highest priority, then oldest) when `limit` takes only the first.
   */
  private lockFree(where: SQL | undefined, limit?: number): Promise<Task[]> {
    const query = this.db
      .select()
      .from(tasks)
      .where(where)
      .orderBy(...CLAIM_ORDER)
      .$dynamic();
    if (limit !== undefined) query.limit(limit);
    return query.for("update", { skipLocked: true });
  }

  /** Tasks whose run is gone go back to the queue, their open attempt abandoned. */
  private requeue(where: SQL | undefined, reason: string): Promise<Task[]> {
    return this.transactions.write(async () => {
      const stranded = await this.lockFree(where);
      const now = this.clock.now();
      const requeued: Task[] = [];
      for (const held of stranded) {
        await this.db
          .update(attempts)
          .set({ outcome: "abandoned", endedAt: now, error: reason })
          .where(and(eq(attempts.taskId, held.id), eq(attempts.outcome, "running")));
        const step = requeueStep(held.maxAttempts, reason, now);
        requeued.push(await this.tasks.advance(held.id, [step], held));
      }
      return requeued;
    });
  }
}
