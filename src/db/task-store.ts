import { and, asc, type Column, desc, eq, getTableColumns, sql } from "drizzle-orm";
import type { Clock } from "../core/clock.js";
import { StewardError } from "../core/errors.js";
import type {
  NewTask,
  TaskRepository,
  TransitionRequest,
  TransitionStep,
  WriteOptions,
} from "../core/ports.js";
import { assertTransition, formatTaskId } from "../core/states.js";
import type { Task, TaskEvent } from "../core/task.js";
import type { Db } from "./connection.js";
import { encode, prepareDirect, rowDecoder, slots } from "./direct.js";
import { EVENT_FIELDS } from "./event-fields.js";
import { freshTask } from "./fresh-task.js";
import { type NewTaskRow, type TaskRow, taskEvents, tasks } from "./schema.js";
import type { Writes } from "./writes.js";

type NewTaskEventRow = typeof taskEvents.$inferInsert;

// A compile-time check that the stored row is exactly the domain's Task.
const rowIsTask = (row: TaskRow): Task => row;
void rowIsTask;

/** A stored task after `written` was set on it (its columns: see `writtenColumns`). */
function withWritten(
  stored: Task,
  written: Readonly<Partial<NewTaskRow>>,
  keys: readonly string[],
): Task {
  const task: Record<string, unknown> = { ...stored };
  for (const key of keys) task[key] = written[key as keyof NewTaskRow];
  return task as unknown as Task;
}

const taskColumns: Readonly<Record<string, Column>> = getTableColumns(tasks);
const COLUMNS = new Set(Object.keys(taskColumns));
const eventColumns = getTableColumns(taskEvents);
/** What `create` writes: the id is the database's to give. */
const INSERTED_COLUMNS = Object.keys(taskColumns).filter((key) => key !== "id");
/** A task's row, every column in the table's order (`select()`, read raw), as a Task. */
export const decodeTask = rowDecoder<Task>(taskColumns);

/**
 * The task columns a patch or new row sets: defined values only, as drizzle's builder does, in
 * the patch's own order (each order is looked up as it comes, not sorted on every write: a call
 * site writes its patch one way). A patch names a few of the thirty-odd columns: its own keys
 * are walked.
 */
function writtenColumns(values: Readonly<Record<string, unknown>>): string[] {
  const keys: string[] = [];
  for (const key in values) if (values[key] !== undefined && COLUMNS.has(key)) keys.push(key);
  return keys;
}

/** Positional parameters: each value as drizzle would bind it to its column. */
function encodedTaskValues(
  keys: readonly string[],
  values: Readonly<Record<string, unknown>>,
): unknown[] {
  const bound: unknown[] = [];
  for (const key of keys) bound.push(encode(taskColumns[key]!, values[key]));
  return bound;
}

/** The statements of the hot path, prepared once per connection. */
function prepareStatements(db: Db) {
  const byId = eq(tasks.id, sql.placeholder("id"));
  return {
    get: prepareDirect(db, db.select().from(tasks).where(byId), ["id"]).raw(),
    /** What a transition needs: the state to check the move and since when, not the whole row. */
    stateOf: prepareDirect(
      db,
      db.select({ state: tasks.state, stateSince: tasks.stateSince }).from(tasks).where(byId),
      ["id"],
    ).raw(),
    byDedupeKey: db
      .select()
      .from(tasks)
      .where(
        and(
          eq(tasks.source, sql.placeholder("source")),
          eq(tasks.dedupeKey, sql.placeholder("dedupeKey")),
        ),
      )
      .prepare(),
    appendEvent: prepareDirect(
      db,
      db.insert(taskEvents).values(slots<NewTaskEventRow>(EVENT_FIELDS)),
      EVENT_FIELDS,
    ),
    insert: prepareDirect(
      db,
      db.insert(tasks).values(slots<NewTaskRow>(INSERTED_COLUMNS)),
      INSERTED_COLUMNS,
    ),
  };
}

// No RETURNING: SQLite runs an UPDATE … RETURNING slower than the UPDATE and a read of the row
// by id (docs/performance.md), so the row is read back after a write.
/** With `guarded`, only a row still in a given state and held by a given lease owner is written. */
function prepareUpdate(db: Db, written: readonly string[], guarded: boolean) {
  // The statement sets its columns in the table's order, whatever the patch's.
  const keys = Object.keys(taskColumns).filter((key) => written.includes(key));
  const byId = eq(tasks.id, sql.placeholder("$id"));
  const unchanged = and(
    byId,
    eq(tasks.state, sql.placeholder("$state")),
    sql`${tasks.leaseOwner} IS ${sql.placeholder("$owner")}`,
  );
  const statement = prepareDirect(
    db,
    db
      .update(tasks)
      .set(slots<Partial<NewTaskRow>>(keys))
      .where(guarded ? unchanged : byId),
    guarded ? [...keys, "$id", "$state", "$owner"] : [...keys, "$id"],
  );
  return { statement, keys };
}

type Statements = ReturnType<typeof prepareStatements>;

/** Writes that stand or fall together with whatever they are part of. */
const WITH_CALLER: WriteOptions = { undo: "all" };

/** Tasks and their events; every state change and its event commit together or not at all. */
export class TaskStore implements TaskRepository {
  private prepared: Statements | undefined;
  /** Updates, one prepared statement per list of columns a patch writes. */
  private readonly updates = new Map<string, ReturnType<typeof prepareUpdate>>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    /** How writes on the connection are opened, nested and committed. */
    private readonly writes: Writes,
  ) {}

  /**
   * Runs `work` synchronously as one write: all of it is stored, or none of it. `options` say
   * when it commits (`commit: "now" | "grouped"`) and what a failure undoes (`undo: "own" |
   * "all"`); see `WriteOptions`. Inside another write it is part of that one.
   */
  write<T>(work: () => T, options?: WriteOptions): T {
    return this.writes.write(work, options);
  }

  /** Calls `done` once everything written so far has committed (at once if it has). */
  afterCommit(done: (error?: Error) => void): void {
    this.writes.afterCommit(done);
  }

  /** Resolves once everything written so far has committed. */
  committed(): Promise<void> {
    return this.writes.committed();
  }

  /** Commits the open group now; returns the error if the commit failed (its writes are gone). */
  commit(): Error | undefined {
    return this.writes.commit();
  }

  /** Files a new task with its first event; returns it as stored (without reading it back). */
  create(task: NewTask, event: Omit<TransitionRequest, "patch">): Task {
    return this.write(() => {
      assertTransition(0, "intake", task.state);
      const now = this.clock.now();
      const created = freshTask(task, now);
      created.id = this.insert(created);
      this.appendEvent(created.id, { state: "intake", stateSince: now }, created.state, now, event);
      return created;
    }, WITH_CALLER);
  }

  /** Moves a task to `to` if the lifecycle allows it; refuses with IllegalTransitionError otherwise. */
  transition(id: number, to: Task["state"], request: TransitionRequest): Task {
    return this.advance(id, [{ ...request, to }]);
  }

  /**
   * Moves a task through consecutive states in one write (a fast step passes through a state
   * within one unit of work): every step is checked and gets its event, the row is written
   * once with the patches merged in order. Refuses before writing if any step is illegal.
   *
   * `stored`: the task as it is stored now, when the caller holds it (just read, or returned by the
   * previous write). The move then starts from it and returns it moved, without reading the row
   * before and after (the dearer half of a move; docs/performance.md). The write still checks that
   * the row is in `stored`'s state and lease: if it has moved on since (a cancel while it ran, a
   * run requeued and claimed again), nothing is written and the move refuses with `task_moved`.
   */
  advance(id: number, steps: readonly TransitionStep[], stored?: Task): Task {
    if (steps.length === 0) throw new Error("advance needs at least one step");
    return this.write(() => {
      const current = stored ?? this.stateAndSince(id);
      if (current === undefined)
        throw new StewardError("task_not_found", `${formatTaskId(id)} does not exist`);
      let from = current.state;
      for (const step of steps) {
        assertTransition(id, from, step.to);
        from = step.to;
      }
      const now = this.clock.now();
      const written: Partial<NewTaskRow> = {};
      for (const step of steps) Object.assign(written, step.patch);
      written.state = from;
      written.updatedAt = now;
      written.stateSince = now;
      const keys = this.set(id, written, stored);
      if (keys === undefined) {
        throw new StewardError("task_moved", `${formatTaskId(id)} is no longer ${current.state}`);
      }
      let left: { state: Task["state"]; stateSince: number } = current;
      for (const step of steps) {
        this.appendEvent(id, left, step.to, now, step);
        left = { state: step.to, stateSince: now };
      }
      return stored === undefined ? this.require(id) : withWritten(stored, written, keys);
    }, WITH_CALLER);
  }

  /** Changes fields that are not the state (lease renewal, delivery marks); no event. */
  update(id: number, patch: TransitionRequest["patch"]): void {
    this.set(id, { ...patch, updatedAt: this.clock.now() });
  }

  get(id: number): Task | undefined {
    const row = this.statements.get.get(id) as unknown[] | undefined;
    return row === undefined ? undefined : decodeTask(row);
  }

  /** The task's state alone: what a check before a write needs, without reading the row. */
  stateOf(id: number): Task["state"] | undefined {
    return this.stateAndSince(id)?.state;
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

  /** The newest task filed from a source (a schedule's previous run). */
  latestFrom(source: string): Task | undefined {
    return this.db
      .select()
      .from(tasks)
      .where(eq(tasks.source, source))
      .orderBy(desc(tasks.id))
      .limit(1)
      .get();
  }

  findByDedupeKey(source: string, dedupeKey: string): Task | undefined {
    return this.statements.byDedupeKey.get({ source, dedupeKey });
  }

  /**
   * Prepares the hot path's statements now rather than on the first request (start-up). They
   * are otherwise prepared on first use, so a store can be made before the migrations run.
   */
  prepare(): void {
    void this.statements;
  }

  private get statements(): Statements {
    this.prepared ??= prepareStatements(this.db);
    return this.prepared;
  }

  private stateAndSince(id: number): { state: Task["state"]; stateSince: number } | undefined {
    const row = this.statements.stateOf.get(id) as [Task["state"], number] | undefined;
    return row === undefined ? undefined : { state: row[0], stateSince: row[1] };
  }

  /** Writes every column but the id (a fresh task sets them all); returns the id it was given. */
  private insert(task: NewTaskRow): number {
    const { insert } = this.statements;
    return Number(insert.run(encodedTaskValues(INSERTED_COLUMNS, task)).lastInsertRowid);
  }

  /**
   * Unknown and undefined keys are ignored, as drizzle does. Returns the columns written; with
   * `ifUnchanged`, only a row still in its state and held by its lease owner is written, and
   * undefined says the row was not.
   */
  private set(
    id: number,
    values: Partial<NewTaskRow>,
    ifUnchanged?: Pick<Task, "state" | "leaseOwner">,
  ): readonly string[] | undefined {
    const written = writtenColumns(values);
    const shape = `${written.join(",")}${ifUnchanged === undefined ? "" : " if unchanged"}`;
    let update = this.updates.get(shape);
    if (update === undefined) {
      update = prepareUpdate(this.db, written, ifUnchanged !== undefined);
      this.updates.set(shape, update);
    }
    const parameters = encodedTaskValues(update.keys, values);
    parameters.push(id);
    if (ifUnchanged !== undefined) parameters.push(ifUnchanged.state, ifUnchanged.leaseOwner);
    const { changes } = update.statement.run(parameters);
    return ifUnchanged === undefined || changes > 0 ? update.keys : undefined;
  }

  /** `from` is the state left and since when the task was in it: the stay this event ends. */
  private appendEvent(
    taskId: number,
    from: { state: Task["state"]; stateSince: number },
    to: Task["state"],
    at: number,
    request: Omit<TransitionRequest, "patch">,
  ): void {
    this.statements.appendEvent.run(
      taskId,
      from.state,
      to,
      at,
      from.stateSince,
      request.actor,
      request.reason,
      encode(eventColumns.data, request.data ?? null),
    );
  }
}
