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

/**
 * How a write (`TaskRepository.write`) is committed and what its failure undoes. Inside another
 * write, a write is part of that one and commits with it, whatever `commit` says.
 */
export interface WriteOptions {
  /**
   * `"now"` (the default): durable when `write` returns (it also commits the group of writes it
   * joined). `"grouped"`: durable with the open group, a few milliseconds later; wait for
   * `committed()` before telling anyone it happened.
   */
  commit?: "now" | "grouped";
  /**
   * What a failure inside `work` undoes, when the write joined something (a caller's write, or
   * the open group). `"own"` (the default): this write's work only; the rest stands. `"all"`:
   * everything it joined, and the error is theirs too: cheaper (no savepoint), for writes that
   * stand or fall with their caller and for hot paths.
   */
  undo?: "own" | "all";
}

export interface TaskRepository {
  /** Runs `work` synchronously as one write: all of it is stored, or none of it. */
  write<T>(work: () => T, options?: WriteOptions): T;
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
