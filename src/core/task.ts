import type { Brief, BriefField } from "./brief.js";
import type { FailureClass } from "./failures.js";
import type { Actor, TaskState } from "./states.js";

/** Why a task went where it went; stored on the task and shown on its card. */
export interface RoutingTrace {
  category: string;
  /** `rules` or `llm`; an llm answer that fell back to the rules says so in `fallback`. */
  classifier: "rules" | "llm";
  /** Stable id of the deciding rule: `explicit`, `support.keywords`, `similarity`, `catch_all`… */
  rule: string;
  score: number;
  matched: string[];
  runner_up?: { category: string; score: number };
  /** The learned example (a person's earlier decision) closest to the request, when one decided. */
  example?: { id: number; taskId: number | null; similarity: number };
  explanation: string;
  fallback?: string;
}

/** Where a request came from, so replies go back to the same place (thread, message…). */
export type SourceRef = Record<string, string>;

export interface Task {
  id: number;
  state: TaskState;
  objective: string;
  inputs: string[];
  constraints: string[];
  outputFormat: string;
  acceptanceCriteria: string[];
  missingFields: BriefField[];
  feedback: string[];
  category: string;
  routing: RoutingTrace;
  priority: number;
  attempts: number;
  maxAttempts: number;
  nextRunAt: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  parentId: number | null;
  nextId: number | null;
  requester: string;
  source: string;
  sourceRef: SourceRef;
  dedupeKey: string | null;
  output: string | null;
  outputMeta: Record<string, unknown> | null;
  deliveredAt: number | null;
  failureClass: FailureClass | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  stateSince: number;
}

export interface TaskEvent {
  id: number;
  taskId: number;
  from: TaskState;
  to: TaskState;
  at: number;
  /** When the task entered `from` (null on events recorded before this was kept). */
  enteredAt: number | null;
  actor: Actor;
  reason: string;
  data: Record<string, unknown> | null;
}

/** A task's columns that hold its brief. */
export type TaskBrief = Pick<
  Task,
  "objective" | "inputs" | "constraints" | "outputFormat" | "acceptanceCriteria"
>;

export function briefOf(task: TaskBrief): Brief {
  return {
    objective: task.objective,
    inputs: task.inputs,
    constraints: task.constraints,
    output_format: task.outputFormat,
    acceptance_criteria: task.acceptanceCriteria,
  };
}

/** The task columns that hold a brief. */
export function briefColumns(brief: Brief) {
  return {
    objective: brief.objective,
    inputs: brief.inputs,
    constraints: brief.constraints,
    outputFormat: brief.output_format,
    acceptanceCriteria: brief.acceptance_criteria,
  };
}
