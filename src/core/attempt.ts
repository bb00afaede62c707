import type { FailureClass } from "./failures.js";

/** One run of a task on a worker: what the timeline and the cards show. */
export interface Attempt {
  id: number;
  taskId: number;
  number: number;
  worker: string;
  startedAt: number;
  endedAt: number | null;
  outcome: "running" | "succeeded" | "failed" | "abandoned";
  failureClass: FailureClass | null;
  error: string | null;
  meta: Record<string, unknown> | null;
}
