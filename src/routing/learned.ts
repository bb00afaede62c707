import type { Answer, StorageMode } from "../core/storage-mode.js";

/**
 * A person's decision about where a request belongs, kept as a labelled example the classifier
 * learns from: an operator's reroute, a category named at filing, a requester's correction; or
 * a confirmation, a request the router placed that was done there without anyone moving it.
 */
export type LearnedOrigin = "reroute" | "explicit" | "correction" | "confirmation";

/**
 * Confirmations (requests done where the router sent them) kept and trained on: the latest this
 * many, so training stays about as long as it is as a deployment's history grows (a year of a
 * one-person business is a few thousand tasks; the corpus is 10,000 lines).
 */
export const CONFIRMATIONS_KEPT = 2_000;

export interface LearnedExample {
  id: number;
  /** The request as it was routed (its brief's text). */
  text: string;
  category: string;
  /** Where the request had been routed before the decision, if anywhere. */
  from: string | null;
  origin: LearnedOrigin;
  taskId: number | null;
  /** Who decided: a Discord user id, `console`, `cli`… */
  actor: string;
  /** When, in ms since the epoch. */
  at: number;
}

/**
 * Where people's routing decisions are kept for the router to learn from;
 * `src/db/routing-example-store.ts` on SQLite, `src/db/pg/routing-example-store.ts` on PostgreSQL.
 */
export interface LearnedExamples<M extends StorageMode = "sync"> {
  add(example: Omit<LearnedExample, "id">): Answer<M, LearnedExample>;
  /** Oldest first; one category's when `category` is given. */
  list(category?: string): Answer<M, LearnedExample[]>;
  /** The latest `limit` decisions, most recent first; confirmations aside (they decided nothing). */
  recent(limit: number): Answer<M, LearnedExample[]>;
  /** Forgets one example; false when there was none with that id. */
  remove(id: number): Answer<M, boolean>;
  /** Forgets every confirmation but the latest `kept`; says how many went. */
  pruneConfirmations(kept: number): Answer<M, number>;
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
