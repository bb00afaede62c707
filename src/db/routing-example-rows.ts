import type { LearnedExample } from "../routing/learned.js";

/** A `routing_examples` row as either store's schema reads it (the column names differ). */
export interface RoutingExampleRow {
  id: number;
  text: string;
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

/** The row a new example is stored as, without the id the database gives it. */
export function exampleRow(example: Omit<LearnedExample, "id">): Omit<RoutingExampleRow, "id"> {
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

export function toExample(row: RoutingExampleRow): LearnedExample {
  return {
    id: row.id,
    text: row.text,
    category: row.category,
    from: row.fromCategory,
    origin: row.origin,
    taskId: row.taskId,
    actor: row.actor,
    at: row.at,
  };
}
