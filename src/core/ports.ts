import type { Actor, TaskState } from "./states.js";
import type { Task, TaskEvent } from "./task.js";

/** What the domain needs of storage; src/db implements it. */

/** The columns that change when a task moves, besides its state. */
export type TaskPatch = Partial<
  Omit<Task, "id" | "state" | "createdAt" | "updatedAt" | "stateSince">
>;

export interface TransitionRequest {
  actor: Actor;
  reason: string;
  data?: Record<string, unknown>;
  patch?: TaskPatch;
}

/** One step of a path through the lifecycle: the state entered and why. */
export interface TransitionStep extends TransitionRequest {
  to: TaskState;
}

export type NewTask = Omit<
  Task,
  | "id"
  | "createdAt"
  | "updatedAt"
  | "stateSince"
  | "nextRunAt"
  | "attempts"
  | "leaseOwner"
  | "leaseExpiresAt"
  | "nextId"
  | "output"
  | "outputMeta"
  | "deliveredAt"
  | "failureClass"
  | "lastError"
  | "feedback"
> &
  Partial<Pick<Task, "nextRunAt" | "feedback">>;

export interface TaskRepository {
  transaction<T>(work: () => T): T;
  /** Like `transaction`, but inside a caller's unit it adds no savepoint: it fails with it. */
  atomically<T>(work: () => T): T;
  create(task: NewTask, event: Omit<TransitionRequest, "patch">): Task;
  transition(id: number, to: TaskState, request: TransitionRequest): Task;
  advance(id: number, steps: readonly TransitionStep[], stored?: Task): Task;
  update(id: number, patch: TaskPatch): void;
  get(id: number): Task | undefined;
  require(id: number): Task;
  events(id: number): TaskEvent[];
  findByDedupeKey(source: string, dedupeKey: string): Task | undefined;
}

/** What made a task need a person: carried into the escalation and its root-cause key. */
export interface EscalationCause {
  reason: string;
  failureClass?: import("./failures.js").FailureClass;
  worker?: string;
  error?: string;
}
