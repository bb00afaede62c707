import { and, asc, desc, eq, inArray, isNull, lt, lte, sql } from "drizzle-orm";
import type { Clock } from "../core/clock.js";
import type { FailureClass } from "../core/failures.js";
import type { Actor } from "../core/states.js";
import type { Task } from "../core/task.js";
import type { Db } from "./connection.js";
import { type AttemptRow, attempts, type IncidentRow, incidents, tasks } from "./schema.js";
import type { TaskStore } from "./task-store.js";

export interface Claimed {
  task: Task;
  attemptId: number;
}

/** The queue's operations on tasks, attempts and incidents; each is one transaction. */
export class QueueStore {
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
    if (limit <= 0) return [];
    return this.tasks.transaction(() => {
      const now = this.clock.now();
      const due = this.db
        .select({ id: tasks.id, attempts: tasks.attempts })
        .from(tasks)
        .where(
          and(eq(tasks.state, "queued"), eq(tasks.category, category), lte(tasks.nextRunAt, now)),
        )
        .orderBy(desc(tasks.priority), asc(tasks.nextRunAt), asc(tasks.id))
        .limit(limit)
        .all();
      return due.map(({ id, attempts: done }) => {
        const number = done + 1;
        const task = this.tasks.transition(id, "running", {
          actor: owner,
          reason: `attempt ${number} started by ${worker}`,
          data: { attempt: number, worker },
          patch: { attempts: number, leaseOwner: owner, leaseExpiresAt: now + leaseMs },
        });
        const attempt = this.db
          .insert(attempts)
          .values({ taskId: id, number, worker, startedAt: now, outcome: "running" })
          .returning({ id: attempts.id })
          .get();
        return { task, attemptId: attempt.id };
      });
    });
  }

  /** Retry waits that are over go back to the queue, each with its event. */
  promoteDueRetries(): number {
    const now = this.clock.now();
    const due = this.db
      .select({ id: tasks.id })
      .from(tasks)
      .where(and(eq(tasks.state, "retry_wait"), lte(tasks.nextRunAt, now)))
      .all();
    if (due.length === 0) return 0;
    this.tasks.transaction(() => {
      for (const { id } of due) {
        this.tasks.transition(id, "queued", { actor: "system", reason: "retry wait over" });
      }
    });
    return due.length;
  }

  renewLeases(ids: readonly number[], owner: Actor, leaseMs: number): void {
    if (ids.length === 0) return;
    this.db
      .update(tasks)
      .set({ leaseExpiresAt: this.clock.now() + leaseMs })
      .where(and(inArray(tasks.id, [...ids]), eq(tasks.leaseOwner, owner)))
      .run();
  }

  /**
   * Tasks left running or reviewing by a worker that is gone go back to the queue. With
   * `everyLease` (at start-up: one process owns the database) every lease is void, expired or
   * not; otherwise only expired ones.
   */
  recoverLeases(options: { everyLease: boolean; reason: string }): Task[] {
    const now = this.clock.now();
    const stranded = this.db
      .select({ id: tasks.id })
      .from(tasks)
      .where(
        and(
          inArray(tasks.state, ["running", "reviewing"]),
          options.everyLease ? undefined : lt(tasks.leaseExpiresAt, now),
        ),
      )
      .all();
    return this.tasks.transaction(() =>
      stranded.map(({ id }) => {
        this.closeOpenAttempts(id, "abandoned", options.reason);
        return this.tasks.transition(id, "queued", {
          actor: "system",
          reason: options.reason,
          patch: { leaseOwner: null, leaseExpiresAt: null, nextRunAt: now },
        });
      }),
    );
  }

  finishAttempt(
    attemptId: number,
    outcome: AttemptRow["outcome"],
    details: { failureClass?: FailureClass; error?: string; meta?: Record<string, unknown> } = {},
  ): void {
    this.db
      .update(attempts)
      .set({
        outcome,
        endedAt: this.clock.now(),
        failureClass: details.failureClass ?? null,
        error: details.error ?? null,
        meta: details.meta ?? null,
      })
      .where(eq(attempts.id, attemptId))
      .run();
  }

  attemptsOf(taskId: number): AttemptRow[] {
    return this.db
      .select()
      .from(attempts)
      .where(eq(attempts.taskId, taskId))
      .orderBy(asc(attempts.number))
      .all();
  }

  private closeOpenAttempts(taskId: number, outcome: AttemptRow["outcome"], error: string): void {
    this.db
      .update(attempts)
      .set({ outcome, endedAt: this.clock.now(), error })
      .where(and(eq(attempts.taskId, taskId), eq(attempts.outcome, "running")))
      .run();
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
    return this.tasks.transaction(() => {
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
