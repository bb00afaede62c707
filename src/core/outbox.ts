import type { BriefField } from "./brief.js";
import type { Destination } from "./destination.js";
import type { Answer, StorageMode } from "./storage-mode.js";

/**
 * Everything Steward tells a person is an outbox message, written in the transaction that
 * caused it and delivered later by whichever adapter is running (Discord, the console).
 */
export type OutboxMessage =
  | { kind: "clarification"; taskId: number; missing: BriefField[]; note: string }
  | { kind: "task_done"; taskId: number; destination: Destination }
  /** Output bound for a file or a webhook: delivered by Steward itself, not a chat adapter. */
  | { kind: "deliver_output"; taskId: number; destination: Destination }
  /** What became of a `deliver_output`: where it went, or why it never can (told to the requester). */
  | { kind: "output_delivery"; taskId: number; delivered: boolean; detail: string }
  | { kind: "task_cancelled"; taskId: number; actor: string; reason: string }
  | { kind: "task_escalated"; taskId: number; reason: string }
  | { kind: "escalation"; escalationId: number }
  | { kind: "escalation_digest"; escalationIds: number[] }
  | { kind: "escalation_resolved"; escalationId: number }
  /** More tasks joined a posted escalation: its message is brought up to date. */
  | { kind: "escalation_updated"; escalationId: number }
  | { kind: "reminder"; escalationId: number }
  /** What one run of the status checker found that was not already open. */
  | { kind: "anomalies"; anomalyIds: number[] }
  | { kind: "review_report"; month: string };

export type OutboxKind = OutboxMessage["kind"];

/**
 * Which kinds a chat adapter (Discord, the console) delivers; `deliver_output` (files,
 * webhooks) is Steward's own. A Record, so a new kind does not compile until it is decided.
 */
const FOR_CHAT: Record<OutboxKind, boolean> = {
  clarification: true,
  task_done: true,
  deliver_output: false,
  output_delivery: true,
  task_cancelled: true,
  task_escalated: true,
  escalation: true,
  escalation_digest: true,
  escalation_resolved: true,
  escalation_updated: true,
  reminder: true,
  anomalies: true,
  review_report: true,
};

export const CHAT_KINDS: readonly OutboxKind[] = (Object.keys(FOR_CHAT) as OutboxKind[]).filter(
  (kind) => FOR_CHAT[kind],
);

/** `deliverAfter` of a message no retry can deliver: kept, visible, never due. */
export const PARKED = Number.MAX_SAFE_INTEGER;

export interface PendingMessage {
  id: number;
  key: string;
  message: OutboxMessage;
  attempts: number;
  /** When it was queued: with its id, what tells it from another database's message. */
  createdAt: number;
}

/** A message still to deliver, with why its last attempt failed (null before any failed). */
export interface UndeliveredMessage {
  message: OutboxMessage;
  lastError: string | null;
}

/** What the domain needs of the outbox; src/db implements it. */
export interface Outbox<M extends StorageMode = "sync"> {
  /**
   * Queues a message unless one with the same idempotency key exists (then returns false).
   * Must be called inside the transaction of the change that caused it.
   */
  add(message: OutboxMessage, key: string, deliverAfter?: number): Answer<M, boolean>;
  /**
   * Undelivered messages that are due, oldest first; only of `kinds` when given. A message
   * claimed by a deliverer is not pending until its claim ends.
   */
  pending(limit: number, kinds?: readonly OutboxKind[]): Answer<M, PendingMessage[]>;
  /**
   * Takes the messages `pending` would return for `leaseMs`: until it is marked or the lease
   * ends, no other caller is given one. Deliverers that may run side by side (processes on one
   * PostgreSQL database) claim instead of reading `pending`, so none is sent twice; a lease
   * outlives a deliverer that died, so its messages go to another after `leaseMs`.
   */
  claim(limit: number, leaseMs: number, kinds?: readonly OutboxKind[]): Answer<M, PendingMessage[]>;
  /** Delivered: never pending again (and its claim, if any, ends). */
  markDelivered(id: number): Answer<M, void>;
  /** One more failed delivery; the message is tried again at `retryAt` (its claim ends). */
  markFailed(id: number, error: string, retryAt: number): Answer<M, void>;
  /**
   * The messages of `kinds` still to deliver, oldest first: due or waiting for a retry, claimed
   * or not, but not parked (those no retry delivers). What a person is shown as still on its way
   * (the console lists the outputs not yet delivered, with their last error).
   */
  undelivered(kinds: readonly OutboxKind[]): Answer<M, UndeliveredMessage[]>;
  /** How many messages are not delivered, of every kind, parked ones included (`/metrics`). */
  backlog(): Answer<M, number>;
}
