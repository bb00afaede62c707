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
