import { and, asc, eq, inArray, isNull, lte } from "drizzle-orm";
import type {
  EscalatedTask,
  EscalationGroup,
  EscalationGroups,
  StageRequest,
} from "../../escalation/store.js";
import { newGroup } from "../escalation-rows.js";
import { lockUntilCommit } from "./locks.js";
import { escalations, escalationTasks, tasks } from "./schema.js";
import type { Transactions } from "./transactions.js";

/** Escalation groups and their tasks on PostgreSQL. Callers run these inside the change's write. */
export class PgEscalationStore implements EscalationGroups<"async"> {
  constructor(private readonly transactions: Transactions) {}

  /**
   * Adds the task to the group of its root cause still waiting or posted and not yet decided,
   * or opens one. Processes staging the same root cause at once take turns (a lock on the root
   * cause for the transaction), so one cause makes one group.
   */
  stage(taskId: number, request: StageRequest, now: number): Promise<EscalationGroup> {
    return this.transactions.atomic(async () => {
      await lockUntilCommit(this.db, "escalation", request.rootCause);
      const [staged] = await this.db
        .select()
        .from(escalations)
        .where(
          and(
            eq(escalations.rootCause, request.rootCause),
            inArray(escalations.state, ["staged", "open"]),
          ),
        )
        .orderBy(asc(escalations.id))
        .limit(1);
      const group =
        staged ??
        (await this.db.insert(escalations).values(newGroup(request, now)).returning())[0]!;
      await this.db
        .insert(escalationTasks)
        .values({ escalationId: group.id, taskId, reason: request.reason, addedAt: now })
        .onConflictDoNothing();
      if (staged === undefined) return group;
      const count = (await this.tasksOf(group.id)).length;
      const [updated] = await this.db
        .update(escalations)
        .set({ summary: request.summary(count) })
        .where(eq(escalations.id, group.id))
        .returning();
      return updated!;
    });
  }

  due(now: number): Promise<EscalationGroup[]> {
    return this.db
      .select()
      .from(escalations)
      .where(and(eq(escalations.state, "staged"), lte(escalations.postAfter, now)))
      .orderBy(asc(escalations.id));
  }

  async markPosted(ids: readonly number[], now: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .update(escalations)
      .set({ state: "open", postedAt: now })
      .where(inArray(escalations.id, [...ids]));
  }

  async get(id: number): Promise<EscalationGroup | undefined> {
    const [row] = await this.db.select().from(escalations).where(eq(escalations.id, id));
    return row;
  }

  tasksOf(id: number): Promise<EscalatedTask[]> {
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
      .orderBy(asc(tasks.id));
  }

  open(): Promise<EscalationGroup[]> {
    return this.db
      .select()
      .from(escalations)
      .where(inArray(escalations.state, ["staged", "open"]))
      .orderBy(asc(escalations.id));
  }

  async openGroupOf(taskId: number): Promise<EscalationGroup | undefined> {
    const [row] = await this.db
      .select({ escalation: escalations })
      .from(escalationTasks)
      .innerJoin(escalations, eq(escalations.id, escalationTasks.escalationId))
      .where(and(eq(escalationTasks.taskId, taskId), isNull(escalationTasks.resolvedAt)))
      .orderBy(asc(escalations.id))
      .limit(1);
    return row?.escalation;
  }

  async resolveTask(
    escalationId: number,
    taskId: number,
    resolution: string,
    now: number,
  ): Promise<void> {
    await this.db
      .update(escalationTasks)
      .set({ resolvedAt: now, resolution })
      .where(
        and(eq(escalationTasks.escalationId, escalationId), eq(escalationTasks.taskId, taskId)),
      );
  }

  /** Marks the group resolved once none of its tasks is waiting any more. */
  async resolveIfSettled(
    escalationId: number,
    resolution: string,
    actor: string,
    now: number,
  ): Promise<boolean> {
    const members = await this.tasksOf(escalationId);
    if (members.some((member) => member.resolvedAt === null)) return false;
    await this.db
      .update(escalations)
      .set({ state: "resolved", resolvedAt: now, resolution, resolvedBy: actor })
      .where(eq(escalations.id, escalationId));
    return true;
  }

  private get db() {
    return this.transactions.db;
  }
}
