import { and, asc, desc, eq, getTableColumns, type SQL, sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Clock } from "../../core/clock.js";
import { StewardError } from "../../core/errors.js";
import type {
  AttemptEnding,
  NewTask,
  TaskMove,
  TaskPatch,
  TaskRepository,
  TransitionRequest,
  TransitionStep,
  WriteOptions,
} from "../../core/ports.js";
import { assertTransition, formatTaskId, type TaskState } from "../../core/states.js";
import type { Task, TaskEvent } from "../../core/task.js";
import { rowDecoder } from "../direct.js";
import { EVENT_FIELDS, type EventField } from "../event-fields.js";
import { freshTask } from "../fresh-task.js";
import { attemptEndColumns, fillAttemptEnd } from "./attempt-end.js";
import { asJson, PreparedVariants, placeholder, placeholders } from "./prepared.js";
import { attempts, type NewTaskRow, type TaskRow, taskEvents, tasks } from "./schema.js";
import type { Queryable, Transactions } from "./transactions.js";
import { notifyWork } from "./wakeups.js";

// A compile-time check that the stored row is exactly the domain's Task.
const rowIsTask = (row: TaskRow): Task => row;
void rowIsTask;

/** Every column of a task, in the table's order: what a statement returning a task returns. */
export const TASK_COLUMNS = getTableColumns(tasks);
const COLUMNS = new Set(Object.keys(TASK_COLUMNS));
/** The jsonb columns: a prepared move passes them as JSON text (see `placeholder`). */
const JSON_COLUMNS = new Set(
  Object.entries(TASK_COLUMNS)
    .filter(([, column]) => column.dataType === "json")
    .map(([name]) => name),
);

/** `written` with its jsonb columns' values as JSON text, for a prepared move. */
function jsonColumns(written: Partial<NewTaskRow>): Record<string, unknown> {
  const values: Record<string, unknown> = { ...written };
  for (const column in values)
    if (JSON_COLUMNS.has(column)) values[column] = asJson(values[column]);
  return values;
}

/** The columns a patch sets: known and defined ones, as the SQLite store ignores the rest. */
function columnsOf(patch: Readonly<Record<string, unknown>>): Partial<NewTaskRow> {
  const values: Record<string, unknown> = {};
  for (const key in patch)
    if (patch[key] !== undefined && COLUMNS.has(key)) values[key] = patch[key];
  return values as Partial<NewTaskRow>;
}

/** A new task's row: `freshTask` without the id the database gives it. */
function freshRow(task: NewTask, now: number): NewTaskRow {
  const { id, ...row } = freshTask(task, now);
  return row;
}

/** Events inserted on their own (a task's creation, a claim's), `count` rows. */
function prepareEvents(count: number) {
  return { build: (db: Queryable) => db.insert(taskEvents).values(eventRows(count)) };
}

/** The placeholders of `count` event rows, each field suffixed with its row. */
function eventRows(count: number): Record<EventField, SQL>[] {
  return Array.from(
    { length: count },
    (_, row) =>
      Object.fromEntries(
        EVENT_FIELDS.map((field) => [field, placeholder(`${field}${row}`)]),
      ) as Record<EventField, SQL>,
  );
}

/** The placeholders of an attempt's end in a move that ends one (`ending`). */
const ENDING = "ending_";

/**
 * A move, in one statement (one round trip): the update of the row, the columns `written` lists,
 * if the task is still in the state left and held by the same lease owner (or none); and then
 * only, its `count` events (a data-modifying CTE), and with `ending` the end of its attempt
 * (another). Returns the row as it now is, if moved.
 */
function prepareMove({
  written,
  count,
  ending,
}: {
  written: string;
  count: number;
  ending: boolean;
}) {
  const build = (db: Queryable) => {
    const update = db
      .update(tasks)
      .set(placeholders(...written.split(",")))
      .where(
        and(
          eq(tasks.id, placeholder("whereId")),
          eq(tasks.state, placeholder("whereState")),
          sql`${tasks.leaseOwner} IS NOT DISTINCT FROM ${placeholder("whereOwner")}::text`,
        ),
      )
      .returning(TASK_COLUMNS);
    // Typed: in a SELECT, unlike in an INSERT's VALUES, a parameter's type is not the column's.
    const rows = eventRows(count).map(
      (row) =>
        sql`(${sql.join(
          EVENT_FIELDS.map(
            (field) => sql`${row[field]}::${sql.raw(taskEvents[field].getSQLType())}`,
          ),
          sql`, `,
        )})`,
    );
    const columns = sql.join(
      EVENT_FIELDS.map((field) => sql.identifier(taskEvents[field].name)),
      sql`, `,
    );
    const ended = ending
      ? sql`, ended as (${db
          .update(attempts)
          .set(attemptEndColumns(ENDING))
          .where(
            and(eq(attempts.id, placeholder(`${ENDING}id`)), sql`exists (select 1 from moved)`),
          )
          .getSQL()})`
      : sql``;
    const statement = sql`with moved as (${update.getSQL()}), logged as (insert into ${taskEvents} (${columns}) select * from (values ${sql.join(rows, sql`, `)}) as events where exists (select 1 from moved))${ended} select * from moved`;
    return DIALECT.sqlToQuery(statement);
  };
  return { build: (db: Queryable) => ({ toSQL: () => build(db) }), decode: decodeTask };
}

const DIALECT = new PgDialect();

/** A task row as a statement returning `TASK_COLUMNS` (first, in their order) gives it. */
export const decodeTask = rowDecoder<Task>(TASK_COLUMNS);
/** Events inserted on their own, per count of rows (a move's go with its update). */
const EVENTS = new PreparedVariants("steward_task_events", prepareEvents);
/**
 * A move, per list of columns written and count of steps (`${written}|${count}`), and with
 * `|ending` the end of its attempt (`endingAttempt`).
 */
const MOVES = new PreparedVariants("steward_task_move", (variant: string) => {
  const [written, count, ending] = variant.split("|");
  return prepareMove({ written: written!, count: Number(count), ending: ending === "ending" });
});

/** An event as a move or a claim writes it. */
export type EventRow = Omit<TaskEvent, "id" | "data"> & { data?: Record<string, unknown> | null };

/** `rows` in one statement (prepared per count of rows). */
export async function insertEvents(
  transactions: Transactions,
  rows: readonly EventRow[],
): Promise<void> {
  await EVENTS.of(rows.length).run(transactions, eventValues(rows));
}

/** The values of `rows` for `eventRows`'s placeholders. */
function eventValues(rows: readonly EventRow[], values: Record<string, unknown> = {}) {
  rows.forEach((event, row) => {
    values[`taskId${row}`] = event.taskId;
    values[`from${row}`] = event.from;
    values[`to${row}`] = event.to;
    values[`at${row}`] = event.at;
    values[`enteredAt${row}`] = event.enteredAt;
    values[`actor${row}`] = event.actor;
    values[`reason${row}`] = event.reason;
    values[`data${row}`] = asJson(event.data);
  });
  return values;
}

/** Where a move starts: the state left and since when (the stay its first event ends). */
interface Stay {
  state: TaskState;
  stateSince: number;
}

/** An event per step from `from`, each step's stay starting `at`. */
function eventsOf(
  taskId: number,
  from: Stay,
  steps: readonly Omit<TransitionStep, "patch">[],
  at: number,
): EventRow[] {
  let left = from;
  return steps.map((step) => {
    const row = {
      taskId,
      from: left.state,
      to: step.to,
      at,
      enteredAt: left.stateSince,
      actor: step.actor,
      reason: step.reason,
      data: step.data,
    };
    left = { state: step.to, stateSince: at };
    return row;
  });
}

/** What a move's write checks is unchanged: the state left, and who held the lease. */
type Held = Pick<Task, "state" | "leaseOwner">;

/** Tasks and their events on PostgreSQL; every state change and its event in one transaction. */
export class PgTaskStore implements TaskRepository<"async"> {
  constructor(
    private readonly transactions: Transactions,
    private readonly clock: Clock,
  ) {}

  write<T>(work: () => Promise<T>, options?: WriteOptions): Promise<T> {
    return this.transactions.write(work, options);
  }

  async create(task: NewTask, event: Omit<TransitionRequest, "patch">): Promise<Task> {
    assertTransition(0, "intake", task.state);
    return this.transactions.atomic(async () => {
      const now = this.clock.now();
      const [created] = await this.db.insert(tasks).values(freshRow(task, now)).returning();
      await this.appendEvents(
        created!.id,
        { state: "intake", stateSince: now },
        [{ ...event, to: created!.state }],
        now,
      );
      await this.announceQueued(created!);
      return created!;
    });
  }

  transition(id: number, to: TaskState, request: TransitionRequest): Promise<Task> {
    return this.advance(id, [{ ...request, to }]);
  }

  /**
   * Moves a task through consecutive states in one write, an event per step, refusing before
   * writing if any step is illegal. Without `stored` the row is read and locked first (FOR
   * UPDATE: another process's move waits for this one instead of slipping between the check
   * and the write); with it, the write itself checks the state and the lease owner
   * (`task_moved` if either changed: a run requeued and claimed again is another's).
   */
  advance(id: number, steps: readonly TransitionStep[], stored?: Task): Promise<Task> {
    return this.moveThrough({ taskId: id, steps, stored });
  }

  /** `move`, and the end of its attempt in the same statement (`QueueRepository.endAttempt`). */
  endingAttempt(move: TaskMove, ending: AttemptEnding): Promise<Task> {
    return this.moveThrough(move, ending);
  }

  private async moveThrough(
    { taskId: id, steps, stored }: TaskMove,
    ending?: AttemptEnding,
  ): Promise<Task> {
    if (steps.length === 0) throw new Error("advance needs at least one step");
    if (stored !== undefined) this.check(id, stored.state, steps);
    return this.transactions.atomic(async () => {
      const current = stored ?? (await this.lockedStay(id));
      if (current === undefined)
        throw new StewardError("task_not_found", `${formatTaskId(id)} does not exist`);
      const to = this.check(id, current.state, steps);
      const now = this.clock.now();
      const written: Partial<NewTaskRow> = {};
      for (const step of steps) Object.assign(written, columnsOf(step.patch ?? {}));
      Object.assign(written, { state: to, updatedAt: now, stateSince: now });
      const events = eventsOf(id, current, steps, now);
      const [moved] = await this.move(id, current, written, events, ending);
      if (moved === undefined)
        throw new StewardError("task_moved", `${formatTaskId(id)} is no longer ${current.state}`);
      await this.announceQueued(moved);
      return moved;
    });
  }

  async update(id: number, patch: TaskPatch): Promise<void> {
    await this.db
      .update(tasks)
      .set({ ...columnsOf(patch), updatedAt: this.clock.now() })
      .where(eq(tasks.id, id));
  }

  async get(id: number): Promise<Task | undefined> {
    const [row] = await this.db.select().from(tasks).where(eq(tasks.id, id));
    return row;
  }

  async require(id: number): Promise<Task> {
    const task = await this.get(id);
    if (task === undefined)
      throw new StewardError("task_not_found", `${formatTaskId(id)} does not exist`);
    return task;
  }

  async stateOf(id: number): Promise<TaskState | undefined> {
    const [row] = await this.db.select({ state: tasks.state }).from(tasks).where(eq(tasks.id, id));
    return row?.state;
  }

  async latestFrom(source: string): Promise<Task | undefined> {
    const [row] = await this.db
      .select()
      .from(tasks)
      .where(eq(tasks.source, source))
      .orderBy(desc(tasks.id))
      .limit(1);
    return row;
  }

  afterCommit(done: (error?: Error) => void): void {
    this.transactions.afterCommit(done);
  }

  events(id: number): Promise<TaskEvent[]> {
    return this.db
      .select()
      .from(taskEvents)
      .where(eq(taskEvents.taskId, id))
      .orderBy(asc(taskEvents.id));
  }

  async findByDedupeKey(source: string, dedupeKey: string): Promise<Task | undefined> {
    const [row] = await this.db
      .select()
      .from(tasks)
      .where(and(eq(tasks.source, source), eq(tasks.dedupeKey, dedupeKey)));
    return row;
  }

  private get db() {
    return this.transactions.db;
  }

  /** Checks every step from `from`; returns the state the last one enters. */
  private check(id: number, from: TaskState, steps: readonly TransitionStep[]): TaskState {
    let state = from;
    for (const step of steps) {
      assertTransition(id, state, step.to);
      state = step.to;
    }
    return state;
  }

  /** A task that entered the queue wakes the workers of its category when the write commits. */
  private async announceQueued(task: Task): Promise<void> {
    if (task.state === "queued") await notifyWork(this.db, task.category);
  }

  private async lockedStay(id: number): Promise<(Stay & Held) | undefined> {
    const [row] = await this.db
      .select({ state: tasks.state, stateSince: tasks.stateSince, leaseOwner: tasks.leaseOwner })
      .from(tasks)
      .where(eq(tasks.id, id))
      .for("update");
    return row;
  }

  /** An event per step from `from`, each step's stay starting `at`: one statement. */
  private async appendEvents(
    taskId: number,
    from: Stay,
    steps: readonly Omit<TransitionStep, "patch">[],
    at: number,
  ): Promise<void> {
    await insertEvents(this.transactions, eventsOf(taskId, from, steps, at));
  }

  /**
   * Writes `written` to the task's row if it is still as `from` left it (its state and lease
   * owner): the row as it now is, if so.
   */
  private move(
    id: number,
    from: Held,
    written: Partial<NewTaskRow>,
    events: readonly EventRow[],
    ending?: AttemptEnding,
  ): Promise<Task[]> {
    const variant = `${Object.keys(written).join(",")}|${events.length}`;
    const statement = MOVES.of(ending === undefined ? variant : `${variant}|ending`);
    const values = jsonColumns(written);
    values.whereId = id;
    values.whereState = from.state;
    values.whereOwner = from.leaseOwner;
    if (ending !== undefined) {
      values[`${ENDING}id`] = ending.attemptId;
      fillAttemptEnd(values, this.clock.now(), ending.outcome, ending, ENDING);
    }
    return statement.run(this.transactions, eventValues(events, values));
  }
}
