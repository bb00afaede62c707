import type { Answer, StorageMode } from "../core/storage-mode.js";
import type { Task } from "../core/task.js";

/** One escalation: the tasks of one root cause, posted as one message and decided once. */
export interface EscalationGroup {
  id: number;
  state: "staged" | "open" | "resolved";
  rootCause: string;
  failureClass: string | null;
  category: string | null;
  worker: string | null;
  summary: string;
  urgent: boolean;
  createdAt: number;
  postAfter: number;
  postedAt: number | null;
  remindedAt: number | null;
  resolvedAt: number | null;
  resolution: string | null;
  resolvedBy: string | null;
}

export interface StageRequest {
  rootCause: string;
  failureClass: string | null;
  category: string;
  worker: string | null;
  summary: (count: number) => string;
  urgent: boolean;
  postAfter: number;
  reason: string;
}

export interface EscalatedTask {
  task: Task;
  reason: string;
  resolvedAt: number | null;
  resolution: string | null;
}

/**
 * What staging and batching need from storage; `src/db/escalation-store.ts` implements it.
 * Callers run these inside the change's transaction.
 */
export interface EscalationGroups<M extends StorageMode = "sync"> {
  /** Adds the task to the staged group of the same root cause, or opens a new group. */
  stage(taskId: number, request: StageRequest, now: number): Answer<M, EscalationGroup>;
  /** Staged groups whose window is over. */
  due(now: number): Answer<M, EscalationGroup[]>;
  markPosted(ids: readonly number[], now: number): Answer<M, void>;
  get(id: number): Answer<M, EscalationGroup | undefined>;
  tasksOf(id: number): Answer<M, EscalatedTask[]>;
  /** Groups not yet resolved (staged or posted). */
  open(): Answer<M, EscalationGroup[]>;
  /** The unresolved group a task is waiting in, if any. */
  openGroupOf(taskId: number): Answer<M, EscalationGroup | undefined>;
  resolveTask(
    escalationId: number,
    taskId: number,
    resolution: string,
    now: number,
  ): Answer<M, void>;
  /** Marks the group resolved once none of its tasks is waiting any more. */
  resolveIfSettled(
    escalationId: number,
    resolution: string,
    actor: string,
    now: number,
  ): Answer<M, boolean>;
}
