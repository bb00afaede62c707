import {
  and,
  asc,
  desc,
  eq,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  or,
  type Placeholder,
  sql,
} from "drizzle-orm";
import type { Clock } from "../core/clock.js";
import type {
  AttemptEnd,
  AttemptEnding,
  Claimed,
  QueueRepository,
  TaskMove,
  TransitionStep,
  WriteOptions,
} from "../core/ports.js";
import type { Actor } from "../core/states.js";
import type { Task } from "../core/task.js";
import type { Db } from "./connection.js";
import { encode, prepareDirect, slots } from "./direct.js";
import { requeueStep } from "./requeue-step.js";
import {
  type AttemptRow,
  attempts,
  type IncidentRow,
  incidents,
  processes,
  tasks,
} from "./schema.js";
import { HOLDING_LEASE, QUEUED, RETRY_WAITING } from "./task-conditions.js";
import { decodeTask, type TaskStore } from "./task-store.js";

type NewAttemptRow = typeof attempts.$inferInsert;

/** An attempt as it starts: its outcome is 'running' until it ends. */
const STARTED = ["taskId", "number", "worker", "startedAt"] as const;
/** What an attempt's end writes. */
const FINISHED = ["endedAt", "outcome", "failureClass", "error", "meta"] as const;

/** The statements of the claim and completion path, prepared once per connection. */
function prepareStatements(db: Db) {
  return {
    startAttempt: prepareDirect(
      db,
      db.insert(attempts).values({ ...slots<NewAttemptRow>(STARTED), outcome: sql`'running'` }),
      STARTED,
    ),
    finishAttempt: prepareDirect(
      db,
      db
        .update(attempts)
        .set(slots<Partial<NewAttemptRow>>(FINISHED))
        .where(eq(attempts.id, sql.placeholder("id"))),
      [...FINISHED, "id"],
    ),
    attemptsOf: db
      .select()
      .from(attempts)
      .where(eq(attempts.taskId, sql.placeholder("taskId")))
      .orderBy(asc(attempts.number))
      .prepare(),
    dueRetries: db
      .select({ id: tasks.id })
      .from(tasks)
      .where(and(RETRY_WAITING, lte(tasks.nextRunAt, sql.placeholder("now"))))
      .prepare(),
    expiredLeases: db
      .select({ id: tasks.id, maxAttempts: tasks.maxAttempts })
      .from(tasks)
      .where(and(HOLDING_LEASE, lt(tasks.leaseExpiresAt, sql.placeholder("now"))))
      .prepare(),
    everyLease: db
      .select({ id: tasks.id, maxAttempts: tasks.maxAttempts })
      .from(tasks)
      .where(HOLDING_LEASE)
      .prepare(),
    stoppedOwners: db
      .select({ id: tasks.id, maxAttempts: tasks.maxAttempts })
      .from(tasks)
      .where(and(HOLDING_LEASE, inArray(tasks.leaseOwner, stoppedProcesses(db))))
      .prepare(),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/** The ids of processes that closed or have not beaten since the `since` placeholder. */
function stoppedProcesses(db: Db) {
  return db
    .select({ id: processes.id })
    .from(processes)
    .where(or(isNotNull(processes.goneAt), lt(processes.heartbeatAt, sql.placeholder("since"))));
}

/** A claim stands or falls with the pass it is part of (no savepoint of its own). */
const WITH_CALLER: WriteOptions = { undo: "all" };

/**
 * Due tasks of a category, highest priority then oldest: one range of tasks_queue read in the
 * index's own order (priority descending), so a claim costs the same with ten queued tasks or
 * a hundred thousand, and nothing is sorted. Whole rows: the claim moves each task from the row
 * it read, instead of reading its state before the move and the row after it.
 *
 * The LIMIT is written into the statement, one statement per limit: SQLite reads a bound
 * LIMIT's value when it plans the query and marks the statement to be planned again whenever
 * that parameter is bound, so every claim would prepare it anew (docs/performance.md).
 */
function prepareDue(db: Db, limit: number) {
  const due = db
    .select()
    .from(tasks)
    .where(
      and(
        QUEUED,
        eq(tasks.category, sql.placeholder("category")),
        lte(tasks.nextRunAt, sql.placeholder("now")),
      ),
    )
    .orderBy(desc(tasks.priority), asc(tasks.nextRunAt), asc(tasks.id))
    .limit(sql.raw(String(limit)) as unknown as Placeholder);
  return prepareDirect(db, due, ["category", "now"]).raw();
}

/** The queue's operations on tasks, attempts and incidents; each is one transaction. */
export class QueueStore implements QueueRepository {
  private prepared: Statements | undefined;
  /** The due query by limit (a limit is a count of free slots: a handful of them). */
  private readonly dueBy = new Map<number, ReturnType<typeof prepareDue>>();

  constructor(
    private readonly db: Db,
    private readonly tasks: TaskStore,
    private readonly clock: Clock,
  ) {}

  /**
   * Takes up to `limit` due tasks of a category, highest priority then oldest first, and
   * moves each to running under a lease, with its attempt row.
   */
  claim(category: string, worker: string, limit: number, owner: Actor, leaseMs: number): Claimed[] {
    const claimed: Claimed[] = [];
    if (limit <= 0) return claimed;
    const now = this.clock.now();
    const due = this.dueQuery(limit).all(category, now) as unknown[][];
    // Nothing due: no transaction to open and commit.
    if (due.length === 0) return claimed;
    return this.tasks.write(() => {
      for (const row of due) {
        // The row as stored: the move starts from it, with no read before or after.
        const queued = decodeTask(row);
        const { id } = queued;
        const number = queued.attempts + 1;
        const step: TransitionStep = {
          to: "running",
          actor: `worker:${worker}`,
          reason: `attempt ${number} started by ${worker}`,
          data: { attempt: number, worker },
          patch: { attempts: number, leaseOwner: owner, leaseExpiresAt: now + leaseMs },
        };
        const task = this.tasks.advance(id, [step], queued);
        const attempt = this.statements.startAttempt.run(id, number, worker, now);
        claimed.push({ task, attemptId: Number(attempt.lastInsertRowid) });
      }
      return claimed;
    }, WITH_CALLER);
  }

  /** Retry waits that are over go back to the queue, each with its event. */
  promoteDueRetries(): number {
    const due = this.statements.dueRetries.all({ now: this.clock.now() });
    if (due.length === 0) return 0;
    this.tasks.write(() => {
      for (const { id } of due) {
        this.tasks.transition(id, "queued", { actor: "system", reason: "retry wait over" });
      }
    });
    return due.length;
  }

  renewLeases(ids: readonly number[], owner: Actor, leaseMs: number): number[] {
    if (ids.length === 0) return [];
    return this.db
      .update(tasks)
      .set({ leaseExpiresAt: this.clock.now() + leaseMs })
      .where(and(inArray(tasks.id, [...ids]), eq(tasks.leaseOwner, owner), HOLDING_LEASE))
      .returning({ id: tasks.id })
      .all()
      .map(({ id }) => id);
  }

  /**
   * Tasks left running or reviewing by a worker that is gone go back to the queue. With
   * `everyLease` (at start-up: one process owns the database) every lease is void, expired or
   * not; otherwise only expired ones.
   */
  recoverLeases(options: { everyLease: boolean; reason: string }): Task[] {
    const stranded = options.everyLease
      ? this.statements.everyLease.all()
      : this.statements.expiredLeases.all({ now: this.clock.now() });
    return this.requeue(stranded, options.reason);
  }

  recoverStopped(since: number, reason: string): Task[] {
    return this.requeue(this.statements.stoppedOwners.all({ since }), reason);
  }

  /**
   * Of `ids`, the tasks `owner` still holds a lease on go back to the queue: no run of theirs is
   * left (their completion was rolled back).
   */
  requeueHeld(ids: readonly number[], owner: Actor, reason: string): Task[] {
    if (ids.length === 0) return [];
    const held = this.db
      .select({ id: tasks.id, maxAttempts: tasks.maxAttempts })
      .from(tasks)
      .where(and(HOLDING_LEASE, inArray(tasks.id, [...ids]), eq(tasks.leaseOwner, owner)))
      .all();
    return this.requeue(held, reason);
  }

  /** Tasks whose run is gone back to the queue, their open attempt abandoned. */
  private requeue(
    stranded: readonly { id: number; maxAttempts: number }[],
    reason: string,
  ): Task[] {
    const now = this.clock.now();
    return this.tasks.write(() =>
      stranded.map(({ id, maxAttempts }) => {
        this.closeOpenAttempts(id, "abandoned", reason);
        return this.tasks.advance(id, [requeueStep(maxAttempts, reason, now)]);
      }),
    );
  }

  finishAttempt(attemptId: number, outcome: AttemptRow["outcome"], details: AttemptEnd = {}): void {
    this.statements.finishAttempt.run(
      this.clock.now(),
      outcome,
      details.failureClass ?? null,
      details.error ?? null,
      encode(attempts.meta, details.meta ?? null),
      attemptId,
    );
  }

  endAttempt(move: TaskMove, ending: AttemptEnding): Task {
    // Part of the caller's write as it is (no savepoint): a failure fails it, as two calls would.
    return this.tasks.write(
      () => {
        const moved = this.tasks.advance(move.taskId, move.steps, move.stored);
        this.finishAttempt(ending.attemptId, ending.outcome, ending);
        return moved;
      },
      { undo: "all" },
    );
  }

  attemptsOf(taskId: number): AttemptRow[] {
    return this.statements.attemptsOf.all({ taskId });
  }

  private closeOpenAttempts(taskId: number, outcome: AttemptRow["outcome"], error: string): void {
    this.db
      .update(attempts)
      .set({ outcome, endedAt: this.clock.now(), error })
      .where(and(eq(attempts.taskId, taskId), eq(attempts.outcome, "running")))
      .run();
  }

  private dueQuery(limit: number): ReturnType<typeof prepareDue> {
    let statement = this.dueBy.get(limit);
    if (statement === undefined) {
      statement = prepareDue(this.db, limit);
      this.dueBy.set(limit, statement);
    }
    return statement;
  }

  /**
   * Prepares the claim path's statements now rather than on the first claim (start-up). They are
   * otherwise prepared on first use, so a store can be made before the migrations run.
   */
  prepare(): void {
    void this.statements;
  }

  private get statements(): Statements {
    this.prepared ??= prepareStatements(this.db);
    return this.prepared;
  }

  // Systemic incidents: while one is open for a worker, its tasks wait.

  openIncidents(): IncidentRow[] {
    return this.db.select().from(incidents).where(isNull(incidents.resolvedAt)).all();
  }

  /** Opens an incident for the worker unless one is open; returns it and whether it is new. */
  openIncident(
    worker: string,
    error: string,
    probeEveryMs: number,
  ): { incident: IncidentRow; opened: boolean } {
    return this.tasks.write(() => {
      const open = this.db
        .select()
        .from(incidents)
        .where(and(eq(incidents.worker, worker), isNull(incidents.resolvedAt)))
        .get();
      if (open) return { incident: open, opened: false };
      const now = this.clock.now();
      const incident = this.db
        .insert(incidents)
        .values({ worker, error, startedAt: now, nextProbeAt: now + probeEveryMs })
        .returning()
        .get();
      return { incident, opened: true };
    });
  }

  scheduleProbe(incidentId: number, at: number): void {
    this.db
      .update(incidents)
      .set({ nextProbeAt: at, probes: sql`${incidents.probes} + 1` })
      .where(eq(incidents.id, incidentId))
      .run();
  }

  resolveIncident(incidentId: number): void {
    this.db
      .update(incidents)
      .set({ resolvedAt: this.clock.now() })
      .where(eq(incidents.id, incidentId))
      .run();
  }
}
