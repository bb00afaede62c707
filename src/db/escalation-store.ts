import { and, asc, eq, inArray, isNull, lte } from "drizzle-orm";
import type { EscalatedTask, EscalationGroups, StageRequest } from "../escalation/store.js";
import type { Db } from "./connection.js";
import { newGroup } from "./escalation-rows.js";
import { type EscalationRow, escalations, escalationTasks, tasks } from "./schema.js";

/** Escalation groups and their tasks. Callers run these inside the change's transaction. */
export class EscalationStore implements EscalationGroups {
  constructor(private readonly db: Db) {}

  /** Adds the task to the staged group of the same root cause, or opens a new group. */
  stage(taskId: number, request: StageRequest, now: number): EscalationRow {
    // The same root cause joins the group still waiting, or the one already posted and not
    // yet decided: one cause, one message, however long the failures keep coming.
    const staged = this.db
      .select()
      .from(escalations)
      .where(
        and(
          eq(escalations.rootCause, request.rootCause),
          inArray(escalations.state, ["staged", "open"]),
        ),
      )
      .orderBy(asc(escalations.id))
      .get();
    const group =
      staged ?? this.db.insert(escalations).values(newGroup(request, now)).returning().get();
    this.db
      .insert(escalationTasks)
      .values({ escalationId: group.id, taskId, reason: request.reason, addedAt: now })
      .onConflictDoNothing()
      .run();
    if (staged === undefined) return group;
    const count = this.tasksOf(group.id).length;
    return this.db
      .update(escalations)
      .set({ summary: request.summary(count) })
      .where(eq(escalations.id, group.id))
      .returning()
      .get();
  }

  /** Staged groups whose window is over. */
  due(now: number): EscalationRow[] {
    return this.db
      .select()
      .from(escalations)
      .where(and(eq(escalations.state, "staged"), lte(escalations.postAfter, now)))
      .orderBy(asc(escalations.id))
      .all();
  }

  markPosted(ids: readonly number[], now: number): void {
    if (ids.length === 0) return;
    this.db
      .update(escalations)
      .set({ state: "open", postedAt: now })
      .where(inArray(escalations.id, [...ids]))
      .run();
  }

  get(id: number): EscalationRow | undefined {
    return this.db.select().from(escalations).where(eq(escalations.id, id)).get();
  }

  tasksOf(id: number): EscalatedTask[] {
    return this.db
      .select({
        task: tasks,
        reason: escalationTasks.reason,
        resolvedAt: escalationTasks.resolvedAt,
        resolution: escalationTasks.resolution,
      })
      .from(escalationTasks)
      .innerJoin(tasks, eq(tasks.id, escalationTasks.taskId))
      .where(eq(escalationTasks.escalationId, id))
      .orderBy(asc(tasks.id))
      .all();
  }

  /** The unresolved group a task is waiting in, if any. */
  openGroupOf(taskId: number): EscalationRow | undefined {
    return this.db
      .select({ escalation: escalations })
      .from(escalationTasks)
      .innerJoin(escalations, eq(escalations.id, escalationTasks.escalationId))
      .where(and(eq(escalationTasks.taskId, taskId), isNull(escalationTasks.resolvedAt)))
      .get()?.escalation;
  }

  resolveTask(escalationId: number, taskId: number, resolution: string, now: number): void {
    this.db
      .update(escalationTasks)
      .set({ resolvedAt: now, resolution })
      .where(
        and(eq(escalationTasks.escalationId, escalationId), eq(escalationTasks.taskId, taskId)),
      )
      .run();
  }

  /** Marks the group resolved once none of its tasks is waiting any more. */
  resolveIfSettled(escalationId: number, resolution: string, actor: string, now: number): boolean {
    const waiting = this.tasksOf(escalationId).some((member) => member.resolvedAt === null);
    if (waiting) return false;
    this.db
      .update(escalations)
      .set({ state: "resolved", resolvedAt: now, resolution, resolvedBy: actor })
      .where(eq(escalations.id, escalationId))
      .run();
    return true;
  }

  open(): EscalationRow[] {
    return this.db
      .select()
      .from(escalations)
      .where(inArray(escalations.state, ["staged", "open"]))
      .all();
  }
}
