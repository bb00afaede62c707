import { briefText } from "../core/brief.js";
import { briefOf, type TaskBrief } from "../core/task.js";
import type { LearnedExample } from "../routing/learned.js";

/**
 * A `routing_examples` row as either store's schema reads it (the column names differ). A
 * confirmation's `text` is null: it is its task's brief, stored once, in the task.
 */
export interface RoutingExampleRow {
  id: number;
  text: string | null;
  category: string;
  fromCategory: string | null;
  origin: LearnedExample["origin"];
  taskId: number | null;
  actor: string;
  at: number;
}

/** The columns a new example's row sets (`exampleRow`), in the order the stores' inserts take them. */
export const EXAMPLE_COLUMNS = [
  "text",
  "category",
  "fromCategory",
  "origin",
  "taskId",
  "actor",
  "at",
] as const;

/**
 * The row a new example is stored as, without the id the database gives it. A confirmation is
 * stored with every task done where the router placed it: without its text (a copy of the task's
 * brief), its insert costs about half as much (docs/performance.md).
 */
export function exampleRow(example: Omit<LearnedExample, "id">): Omit<RoutingExampleRow, "id"> {
  const fromTask = example.origin === "confirmation" && example.taskId !== null;
  return {
    text: fromTask ? null : example.text,
    category: example.category,
    fromCategory: example.from,
    origin: example.origin,
    taskId: example.taskId,
    actor: example.actor,
    at: example.at,
  };
}

/** The columns of a task's brief, from either store's `tasks` table: what `toExample` reads. */
export function briefColumnsOf<T extends Record<keyof TaskBrief, unknown>>(
  table: T,
): Pick<T, keyof TaskBrief> {
  const { objective, inputs, constraints, outputFormat, acceptanceCriteria } = table;
  return { objective, inputs, constraints, outputFormat, acceptanceCriteria };
}

/**
 * The example a row holds, its text read from its task's brief when the row has none; undefined
 * for such a row whose task is gone.
 */
export function toExample(
  row: RoutingExampleRow,
  task?: TaskBrief | null,
): LearnedExample | undefined {
  const text = row.text ?? (task ? briefText(briefOf(task)) : undefined);
  if (text === undefined) return undefined;
  return {
    id: row.id,
    text,
    category: row.category,
    from: row.fromCategory,
    origin: row.origin,
    taskId: row.taskId,
    actor: row.actor,
    at: row.at,
  };
}
