import { and, asc, count, eq, inArray, lte, or } from "drizzle-orm";
import type { TaskState } from "../core/states.js";
import type { Task } from "../core/task.js";
import type { Db } from "./connection.js";
import { tasks } from "./schema.js";

export interface StateCount {
  state: TaskState;
  category: string;
  count: number;
}

/** States in which a task moves on by itself, without a person. */
const MOVING_STATES: TaskState[] = ["queued", "running", "reviewing"];

/** Read-only questions the status displays ask; no writes here. */
export class StatusQueries {
  constructor(private readonly db: Db) {}

  /** How many tasks are in each (state, category) pair. */
  counts(): StateCount[] {
    return this.db
      .select({ state: tasks.state, category: tasks.category, count: count() })
      .from(tasks)
      .groupBy(tasks.state, tasks.category)
      .orderBy(asc(tasks.state), asc(tasks.category))
      .all();
  }

  /** Tasks a worker holds right now, longest-running first. */
  inFlight(limit = 20): Task[] {
    return this.db
      .select()
      .from(tasks)
      .where(inArray(tasks.state, ["running", "reviewing"]))
      .orderBy(asc(tasks.stateSince))
      .limit(limit)
      .all();
  }

  /**
   * Ids of tasks that will still move without a person before `horizon`: queued, running,
   * reviewing, or waiting for a retry that falls due by then.
   */
  moving(horizon: number): number[] {
    return this.db
      .select({ id: tasks.id })
      .from(tasks)
      .where(
        or(
          inArray(tasks.state, MOVING_STATES),
          and(eq(tasks.state, "retry_wait"), lte(tasks.nextRunAt, horizon)),
        ),
      )
      .orderBy(asc(tasks.id))
      .all()
      .map((row) => row.id);
  }
}
