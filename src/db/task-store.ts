import type Database from "better-sqlite3";
import { and, asc, eq } from "drizzle-orm";
import type { Clock } from "../core/clock.js";
import { StewardError } from "../core/errors.js";
import type { NewTask, TaskRepository, TransitionRequest } from "../core/ports.js";
import { assertTransition, formatTaskId } from "../core/states.js";
import type { Task, TaskEvent } from "../core/task.js";
import type { Db } from "./connection.js";
import { type TaskRow, taskEvents, tasks } from "./schema.js";

// A compile-time check that the stored row is exactly the domain's Task.
const rowIsTask = (row: TaskRow): Task => row;
void rowIsTask;

/** Tasks and their events; every state change and its event commit together or not at all. */
export class TaskStore implements TaskRepository {
  constructor(
    private readonly db: Db,
    private readonly sqlite: Database.Database,
    private readonly clock: Clock,
  ) {}

  /** Runs `work` in one transaction; nested calls become savepoints of the outer one. */
  transaction<T>(work: () => T): T {
    return this.sqlite.transaction(work)();
  }

  create(task: NewTask, event: Omit<TransitionRequest, "patch">): Task {
    return this.transaction(() => {
      assertTransition(0, "intake", task.state);
      const now = this.clock.now();
      const created = this.db
        .insert(tasks)
        .values({
          ...task,
          createdAt: now,
          updatedAt: now,
          stateSince: now,
          nextRunAt: task.nextRunAt ?? now,
        })
        .returning()
        .get();
      this.appendEvent(created.id, "intake", created.state, now, event);
      return created;
    });
  }

  /** Moves a task to `to` if the lifecycle allows it; refuses with IllegalTransitionError otherwise. */
  transition(id: number, to: Task["state"], request: TransitionRequest): Task {
    return this.transaction(() => {
      const current = this.require(id);
      assertTransition(id, current.state, to);
      const now = this.clock.now();
      const updated = this.db
        .update(tasks)
        .set({ ...request.patch, state: to, updatedAt: now, stateSince: now })
        .where(eq(tasks.id, id))
        .returning()
        .get();
      this.appendEvent(id, current.state, to, now, request);
      return updated;
    });
  }

  /** Changes fields that are not the state (lease renewal, delivery marks); no event. */
  update(id: number, patch: TransitionRequest["patch"]): void {
    this.db
      .update(tasks)
      .set({ ...patch, updatedAt: this.clock.now() })
      .where(eq(tasks.id, id))
      .run();
  }

  get(id: number): Task | undefined {
    return this.db.select().from(tasks).where(eq(tasks.id, id)).get();
  }

  require(id: number): Task {
    const task = this.get(id);
    if (task === undefined)
      throw new StewardError("task_not_found", `${formatTaskId(id)} does not exist`);
    return task;
  }

  events(id: number): TaskEvent[] {
    return this.db
      .select()
      .from(taskEvents)
      .where(eq(taskEvents.taskId, id))
      .orderBy(asc(taskEvents.id))
      .all();
  }

  findByDedupeKey(source: string, dedupeKey: string): Task | undefined {
    return this.db
      .select()
      .from(tasks)
      .where(and(eq(tasks.source, source), eq(tasks.dedupeKey, dedupeKey)))
      .get();
  }

  private appendEvent(
    taskId: number,
    from: Task["state"],
    to: Task["state"],
    at: number,
    request: Omit<TransitionRequest, "patch">,
  ): void {
    this.db
      .insert(taskEvents)
      .values({
        taskId,
        from,
        to,
        at,
        actor: request.actor,
        reason: request.reason,
        data: request.data ?? null,
      })
      .run();
  }
}
