import type { Attempt } from "./attempt.js";
import type { FailureClass } from "./failures.js";
import type { Actor, TaskState } from "./states.js";
import type { Answer, StorageMode } from "./storage-mode.js";
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

export interface TaskRepository<M extends StorageMode = "sync"> {
  /** Runs `work` as one write: all of it is stored, or none of it. */
  write<T>(work: () => Answer<M, T>, options?: WriteOptions): Answer<M, T>;
  /** Files a new task with its first event. */
  create(task: NewTask, event: Omit<TransitionRequest, "patch">): Answer<M, Task>;
  /** Moves a task to `to` if the lifecycle allows it (`IllegalTransitionError` otherwise). */
  transition(id: number, to: TaskState, request: TransitionRequest): Answer<M, Task>;
  /**
   * Moves a task through consecutive states in one write, an event per step. With `stored` (the
   * row as the caller holds it), the row is written only if it is still in `stored`'s state;
   * otherwise nothing is written and the move refuses with `task_moved`.
   */
  advance(id: number, steps: readonly TransitionStep[], stored?: Task): Answer<M, Task>;
  /** Changes fields that are not the state; no event. */
  update(id: number, patch: TaskPatch): Answer<M, void>;
  get(id: number): Answer<M, Task | undefined>;
  /** Like `get`; throws `task_not_found` when there is no such task. */
  require(id: number): Answer<M, Task>;
  /** The task's state alone: what a check before a write needs, without reading the row. */
  stateOf(id: number): Answer<M, TaskState | undefined>;
  events(id: number): Answer<M, TaskEvent[]>;
  findByDedupeKey(source: string, dedupeKey: string): Answer<M, Task | undefined>;
  /** The newest task filed from `source` (a schedule's previous run). */
  latestFrom(source: string): Answer<M, Task | undefined>;
  /**
   * Calls `done` once the write this call is part of has committed, or with the error that
   * undid it; outside a write, once what has been written so far has committed (at once if it
   * has). A grouped write commits with its group: this is how its caller hears that it did.
   */
  afterCommit(done: (error?: Error) => void): void;
}

/** A task a worker took, with the attempt that records the run. */
export interface Claimed {
  task: Task;
  attemptId: number;
}

/** How an attempt ended, besides its outcome. */
export interface AttemptEnd {
  failureClass?: FailureClass;
  error?: string;
  meta?: Record<string, unknown>;
}

/** How an attempt ends (`QueueRepository.endAttempt`). */
export interface AttemptEnding extends AttemptEnd {
  attemptId: number;
  outcome: Attempt["outcome"];
}

/** A task's move through consecutive states, as `TaskRepository.advance` takes it. */
export interface TaskMove {
  taskId: number;
  steps: readonly TransitionStep[];
  /** The row as the caller holds it: the move is refused if the task left its state. */
  stored?: Task;
}

/** A worker paused by a systemic failure: its tasks wait while probes check it. */
export interface Incident {
  id: number;
  worker: string;
  error: string;
  startedAt: number;
  nextProbeAt: number;
  probes: number;
  resolvedAt: number | null;
}

/** The queue: claims under leases, their attempts, retries coming due, paused workers. */
export interface QueueRepository<M extends StorageMode = "sync"> {
  /**
   * Takes up to `limit` due tasks of a category, highest priority then oldest first, and moves
   * each to running under a lease held by `owner`, with its attempt row. A task is claimed by one
   * caller only, however many claim at once.
   */
  claim(
    category: string,
    worker: string,
    limit: number,
    owner: Actor,
    leaseMs: number,
  ): Answer<M, Claimed[]>;
  /** Retry waits that are over go back to the queue, each with its event; returns how many. */
  promoteDueRetries(): Answer<M, number>;
  /**
   * Extends the leases `owner` still holds among `ids`; returns the ids it still holds. One whose
   * row another write holds just now may be left as it is, to be extended on the next beat, but
   * it is answered as held. A run whose task is missing lost its lease: requeued (its process
   * seen stopped, or the lease expired) and perhaps another run's by now.
   */
  renewLeases(ids: readonly number[], owner: Actor, leaseMs: number): Answer<M, number[]>;
  /**
   * Tasks whose lease is void go back to the queue, their open attempt abandoned and not counted
   * against their budget: expired leases, or with `everyLease` every lease.
   */
  recoverLeases(options: { everyLease: boolean; reason: string }): Answer<M, Task[]>;
  /**
   * Tasks leased by a process that closed, or has not beaten since `since`, go back to the queue
   * (as `recoverLeases`): a killed worker's tasks need not wait out their leases. A lease whose
   * owner never registered (an older version's) is left to expire.
   */
  recoverStopped(since: number, reason: string): Answer<M, Task[]>;
  /** Of `ids`, the tasks `owner` still holds go back to the queue (as `recoverLeases`). */
  requeueHeld(ids: readonly number[], owner: Actor, reason: string): Answer<M, Task[]>;
  finishAttempt(attemptId: number, outcome: Attempt["outcome"], end?: AttemptEnd): Answer<M, void>;
  /**
   * Moves a task (as `TaskRepository.advance`) and ends its attempt, in one write: a completion's
   * two changes, one statement on PostgreSQL. Refused with `task_moved` as the move is, the
   * attempt then left as it was. Returns the task as moved.
   */
  endAttempt(move: TaskMove, ending: AttemptEnding): Answer<M, Task>;
  attemptsOf(taskId: number): Answer<M, Attempt[]>;
  /** Incidents not yet resolved. */
  openIncidents(): Answer<M, Incident[]>;
  /** Opens an incident for the worker unless one is open; returns it and whether it is new. */
  openIncident(
    worker: string,
    error: string,
    probeEveryMs: number,
  ): Answer<M, { incident: Incident; opened: boolean }>;
  scheduleProbe(incidentId: number, at: number): Answer<M, void>;
  resolveIncident(incidentId: number): Answer<M, void>;
}

/** What made a task need a person: carried into the escalation and its root-cause key. */
export interface EscalationCause {
  reason: string;
  failureClass?: import("./failures.js").FailureClass;
  worker?: string;
  error?: string;
}
