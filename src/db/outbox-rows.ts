import { and, type Column, inArray, isNull, lte, or } from "drizzle-orm";
import type { OutboxKind, OutboxMessage, PendingMessage } from "../core/outbox.js";

/** The outbox's columns a due message is found by: the same on SQLite and PostgreSQL. */
interface DueColumns {
  deliveredAt: Column;
  deliverAfter: Column;
  claimedUntil: Column;
  kind: Column;
}

/** Undelivered, due at `now`, claimed by no one (or no longer), of `kinds` when given. */
export function due(outbox: DueColumns, now: number, kinds?: readonly OutboxKind[]) {
  return and(
    isNull(outbox.deliveredAt),
    lte(outbox.deliverAfter, now),
    or(isNull(outbox.claimedUntil), lte(outbox.claimedUntil, now)),
    kinds === undefined ? undefined : inArray(outbox.kind, [...kinds]),
  );
}

/** A stored message as a deliverer gets it. */
export function pendingOf(row: {
  id: number;
  key: string;
  payload: unknown;
  attempts: number;
  createdAt: number;
}): PendingMessage {
  return {
    id: row.id,
    key: row.key,
    message: row.payload as OutboxMessage,
    attempts: row.attempts,
    createdAt: row.createdAt,
  };
}
