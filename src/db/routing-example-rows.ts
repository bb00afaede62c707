import {
  and,
  type Column,
  eq,
  isNull,
  notInArray,
  type SQL,
  type SQLWrapper,
  sql,
} from "drizzle-orm";
import type { TaskBrief } from "../core/task.js";
import {
  CHOSEN_RULES,
  confirmationOf,
  type Decision,
  type LearnedExample,
  type StoredOrigin,
  UNWORDED_SOURCES,
  type Unconfirmed,
} from "../routing/learned.js";

/** A `routing_examples` row as either store's schema reads it (the column names differ). */
export interface RoutingExampleRow {
  id: number;
  /** Null in a forgotten confirmation's row (`unconfirmed`): it keeps the task's id only. */
  text: string | null;
  category: string;
  fromCategory: string | null;
  origin: StoredOrigin;
  taskId: number | null;
  actor: string;
  at: number;
}

/** The row a decision is kept as, without the id the database gives it. */
export function decisionRow(example: Decision): Omit<RoutingExampleRow, "id"> {
  return {
    text: example.text,
    category: example.category,
    fromCategory: example.from,
    origin: example.origin,
    taskId: example.taskId,
    actor: example.actor,
    at: example.at,
  };
}

/** The row that keeps a confirmation forgotten. */
export function unconfirmedRow(forgotten: Unconfirmed): Omit<RoutingExampleRow, "id"> {
  const { taskId, category, actor, at } = forgotten;
  return { text: null, category, fromCategory: null, origin: "unconfirmed", taskId, actor, at };
}

/** The decision a row holds (any row but an `unconfirmed` one: every such row has its text). */
export function toDecision(row: RoutingExampleRow): LearnedExample {
  return {
    id: row.id,
    text: row.text ?? "",
    category: row.category,
    from: row.fromCategory,
    origin: row.origin as Decision["origin"],
    taskId: row.taskId,
    actor: row.actor,
    at: row.at,
  };
}

/** A task read as a confirmation (`confirmationColumnsOf`). */
export interface ConfirmationRow extends TaskBrief {
  id: number;
  category: string;
  stateSince: number;
}

/** The columns of either store's `tasks` table that say whether a task is a confirmation. */
type TaskColumns = Record<keyof ConfirmationRow | "state" | "parentId" | "source", Column>;

/** What a confirmation is made of (`confirmationOf`), from either store's `tasks` table. */
export function confirmationColumnsOf<T extends TaskColumns>(
  table: T,
): Pick<T, keyof ConfirmationRow> {
  const { id, category, stateSince, objective, inputs, constraints } = table;
  const { outputFormat, acceptanceCriteria } = table;
  return {
    id,
    category,
    stateSince,
    objective,
    inputs,
    constraints,
    outputFormat,
    acceptanceCriteria,
  };
}

/** The confirmations the latest tasks read are, as they were done (`confirmationOf`). */
export function confirmationsOf(rows: readonly ConfirmationRow[]): LearnedExample[] {
  const asDone = rows.toSorted(
    (one, other) => one.stateSince - other.stateSince || one.id - other.id,
  );
  return asDone.flatMap((row) => confirmationOf(row) ?? []);
}

/**
 * The tasks that are confirmations (see `LearnedExamples.confirmations`), on either store:
 * `routed(key)` reads a key of the task's routing trace, as the dialect reads JSON; `forgotten`
 * selects the ids of the tasks whose confirmation was forgotten.
 */
export function confirmed(
  task: TaskColumns,
  routed: (key: "category" | "rule") => SQL,
  forgotten: SQLWrapper,
): SQL {
  return and(
    eq(task.state, "done"),
    isNull(task.parentId),
    ...UNWORDED_SOURCES.map((source) => sql`${task.source} NOT LIKE ${`${source}:%`}`),
    sql`${routed("category")} = ${task.category}`,
    notInArray(routed("rule"), [...CHOSEN_RULES]),
    notInArray(task.id, forgotten),
  )!;
}
