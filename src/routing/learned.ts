import { briefText } from "../core/brief.js";
import type { Answer, StorageMode } from "../core/storage-mode.js";
import { briefOf, type Task, type TaskBrief } from "../core/task.js";

/**
 * A person's decision about where a request belongs, kept as a labelled example the classifier
 * learns from: an operator's reroute, a category named at filing, a requester's correction; or
 * a confirmation, a request the router placed that was done there without anyone moving it.
 */
export type LearnedOrigin = "reroute" | "explicit" | "correction" | "confirmation";

/**
 * What a `routing_examples` row records: a person's decision, or a confirmation a person asked the
 * router to forget. Confirmations themselves are not stored: each is its task, done (see
 * `LearnedExamples.confirmations`), so completing a task writes nothing more.
 */
export type StoredOrigin = Exclude<LearnedOrigin, "confirmation"> | "unconfirmed";

/**
 * Confirmations (requests done where the router sent them) kept and trained on: the latest this
 * many, so training stays about as long as it is as a deployment's history grows (a year of a
 * one-person business is a few thousand tasks; the corpus is 10,000 lines).
 */
export const CONFIRMATIONS_KEPT = 2_000;

/**
 * Confirmations read to find the `CONFIRMATIONS_KEPT` latest outside the catch-all (the store
 * cannot tell which category that is): at start-up, and for a listing.
 */
export const CONFIRMATIONS_READ = 2 * CONFIRMATIONS_KEPT;

/** The routing rule recorded when a person moved a task to another category. */
export const REROUTE_RULE = "reroute";

/** Routing rules by which a person chose the category: learned when they chose, not when done. */
export const CHOSEN_RULES: readonly string[] = ["explicit", REROUTE_RULE];

/** Doors whose tasks no person worded for the router: a fixed category, a pipeline's next step. */
export const UNWORDED_SOURCES: readonly string[] = ["webhook", "schedule", "pipeline"];

export interface LearnedExample {
  /** A decision's own id; a confirmation's is its task's. */
  id: number;
  /** The request as it was routed (its brief's text). */
  text: string;
  category: string;
  /** Where the request had been routed before the decision, if anywhere. */
  from: string | null;
  origin: LearnedOrigin;
  taskId: number | null;
  /** Who decided: a Discord user id, `console`, `cli`… (`steward` for a confirmation). */
  actor: string;
  /** When, in ms since the epoch (a confirmation: when its task was done). */
  at: number;
}

/** A person's decision, as it is kept (a confirmation is its task: nothing is kept for it). */
export type Decision = Omit<LearnedExample, "id" | "origin"> & {
  origin: Exclude<LearnedOrigin, "confirmation">;
};

/** A confirmation a person asked the router to forget: kept so that it stays forgotten. */
export interface Unconfirmed {
  taskId: number;
  category: string;
  actor: string;
  at: number;
}

/**
 * Where people's routing decisions are kept for the router to learn from;
 * `src/db/routing-example-store.ts` on SQLite, `src/db/pg/routing-example-store.ts` on PostgreSQL.
 */
export interface LearnedExamples<M extends StorageMode = "sync"> {
  /** Keeps a person's decision (not a confirmation: see `confirmations`). */
  add(example: Decision): Answer<M, LearnedExample>;
  /** People's decisions, oldest first; one category's when `category` is given. */
  list(category?: string): Answer<M, LearnedExample[]>;
  /** The latest `limit` decisions, most recent first. */
  recent(limit: number): Answer<M, LearnedExample[]>;
  /** Forgets one decision; false when there was none with that id. */
  remove(id: number): Answer<M, boolean>;
  /**
   * The latest `limit` confirmations, by task, as they were done: tasks done in the category the
   * router placed them in by its own rules or classifier, filed by a person (no webhook, schedule
   * or pipeline step), and not forgotten (`unconfirm`); one without a brief to learn from is read
   * but left out. A catch-all's are among them: only the router knows which category that is.
   */
  confirmations(limit: number): Answer<M, LearnedExample[]>;
  /** Forgets the confirmation of the task `taskId`; false when it was forgotten already. */
  unconfirm(forgotten: Unconfirmed): Answer<M, boolean>;
  /** The tasks of the latest `limit` confirmations forgotten (`unconfirm`), latest first. */
  forgottenConfirmations(limit: number): Answer<M, number[]>;
}

/** The confirmation a task done is; undefined for one whose brief has no text to learn from. */
export function confirmationOf(
  task: TaskBrief & Pick<Task, "id" | "category" | "stateSince">,
): LearnedExample | undefined {
  const text = briefText(briefOf(task));
  if (text.trim() === "") return undefined;
  const { id, category, stateSince: at } = task;
  return {
    id,
    text,
    category,
    from: null,
    origin: "confirmation",
    taskId: id,
    actor: "steward",
    at,
  };
}

const ORIGIN_VERB: Record<LearnedOrigin, string> = {
  reroute: "rerouted to",
  explicit: "filed under",
  correction: "corrected to",
  confirmation: "done in",
};

/** "T-42, rerouted to support by alice on 2026-11-03". */
export function describeLearned(example: LearnedExample): string {
  const task = example.taskId === null ? `example #${example.id}` : `T-${example.taskId}`;
  const day = new Date(example.at).toISOString().slice(0, 10);
  return `${task}, ${ORIGIN_VERB[example.origin]} ${example.category} by ${example.actor} on ${day}`;
}
