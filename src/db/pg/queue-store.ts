import { and, asc, eq, inArray, isNotNull, isNull, lt, lte, or, type SQL, sql } from "drizzle-orm";
import type { Attempt } from "../../core/attempt.js";
import type { Clock } from "../../core/clock.js";
import type {
  AttemptEnd,
  Claimed,
  Incident,
  QueueRepository,
  TransitionStep,
} from "../../core/ports.js";
import type { Actor } from "../../core/states.js";
import type { Task } from "../../core/task.js";
import { requeueStep } from "../requeue-step.js";
import { lockUntilCommit } from "./locks.js";
import { asJson, Prepared, PreparedVariants, placeholder, placeholders } from "./prepared.js";
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
    .set(placeholders("endedAt", "outcome", "failureClass", "error", "meta"))
    .where(eq(attempts.id, placeholder("id"))),
);

/**
 * A claim of the due tasks of a category, up to a limit: one UPDATE whose CTE picks them (FOR
 * UPDATE SKIP LOCKED), returning each task moved and when it had entered the queue.
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
    return db
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
  },
  (row) => ({ task: decodeTask(row), enteredAt: Number(row[TASK_COLUMN_COUNT]) }),
);
const TASK_COLUMN_COUNT = Object.keys(TASK_COLUMNS).length;

/** A claim's attempts, one row per task claimed (prepared per count), returning their ids. */
const START_ATTEMPTS = new PreparedVariants("steward_start_attempts", (count: number) => ({
  build: (db) =>
    db
      .insert(attempts)
      .values(
        Array.from({ length: count }, (_, row) => ({
          taskId: placeholder(`taskId${row}`),
          number: placeholder(`number${row}`),
          worker: placeholder("worker"),
          startedAt: placeholder("startedAt"),
          outcome: sql`'running'`,
        })),
      )
      .returning({ id: attempts.id, taskId: attempts.taskId }),
  decode: (row) => row as [number, number],
}));

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
   * One UPDATE moves the claimed tasks, reading them in its own CTE (FOR UPDATE SKIP LOCKED);
   * their events and attempts are then one INSERT each: a claim costs the same few round trips
   * for one task or for `limit` of them. (The move is queued → running, allowed by the lifecycle;
   * the CTE picks queued tasks only.)
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
      const values: Record<string, unknown> = { worker, startedAt: now };
      moved.forEach(({ task }, row) => {
        values[`taskId${row}`] = task.id;
        values[`number${row}`] = task.attempts;
      });
      const started = await START_ATTEMPTS.of(moved.length).run(transactions, values);
      const attemptOf = new Map(started.map(([id, taskId]) => [taskId, id]));
      return moved.map(({ task }) => ({ task, attemptId: attemptOf.get(task.id)! }));
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
    await FINISH_ATTEMPT.run(this.transactions, {
      id: attemptId,
      endedAt: this.clock.now(),
      outcome,
      failureClass: end.failureClass ?? null,
      error: end.error ?? null,
      meta: asJson(end.meta),
    });
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
