import { and, asc, count, eq, inArray, isNull, lt, sql } from "drizzle-orm";
import type { Clock } from "../../core/clock.js";
import {
  type Outbox,
  type OutboxKind,
  type OutboxMessage,
  PARKED,
  type PendingMessage,
  type UndeliveredMessage,
} from "../../core/outbox.js";
import { due, pendingOf } from "../outbox-rows.js";
import { asJson, Prepared, placeholders } from "./prepared.js";
import { outbox } from "./schema.js";
import type { Transactions } from "./transactions.js";

/** A message added unless its key was: a row back if it was (see Prepared). */
const ADD = new Prepared("steward_outbox_add", (db) =>
  db
    .insert(outbox)
    .values(
      placeholders("kind", "key", "taskId", "escalationId", "payload", "createdAt", "deliverAfter"),
    )
    .onConflictDoNothing({ target: outbox.key })
    .returning({ id: outbox.id }),
);

/** The outbox on PostgreSQL: a message is added with the change that caused it, once per key. */
export class PgOutboxStore implements Outbox<"async"> {
  constructor(
    private readonly transactions: Transactions,
    private readonly clock: Clock,
  ) {}

  async add(message: OutboxMessage, key: string, deliverAfter?: number): Promise<boolean> {
    const now = this.clock.now();
    const added = await ADD.run(this.transactions, {
      kind: message.kind,
      key,
      taskId: "taskId" in message ? message.taskId : null,
      escalationId: "escalationId" in message ? message.escalationId : null,
      payload: asJson(message),
      createdAt: now,
      deliverAfter: deliverAfter ?? now,
    });
    return added.length > 0;
  }

  async pending(limit: number, kinds?: readonly OutboxKind[]): Promise<PendingMessage[]> {
    const rows = await this.db
      .select()
      .from(outbox)
      .where(due(outbox, this.clock.now(), kinds))
      .orderBy(asc(outbox.id))
      .limit(limit);
    return rows.map(pendingOf);
  }

  /**
   * A claim, not a singleton: the `delivery` role already makes one process the deliverer, but
   * the server frees the role the moment the holder's connection dies, while the holder may be
   * mid-send and learns of its loss only at its next check; the new holder's claim skips what
   * the old one took (until its lease ends). One UPDATE: the subquery locks the oldest due rows
   * and passes over those another claim is taking (SKIP LOCKED), so two claims never share one.
   */
  async claim(
    limit: number,
    leaseMs: number,
    kinds?: readonly OutboxKind[],
  ): Promise<PendingMessage[]> {
    const now = this.clock.now();
    const oldest = this.db
      .select({ id: outbox.id })
      .from(outbox)
      .where(due(outbox, now, kinds))
      .orderBy(asc(outbox.id))
      .limit(limit)
      .for("update", { skipLocked: true });
    const rows = await this.db
      .update(outbox)
      .set({ claimedUntil: now + leaseMs })
      .where(inArray(outbox.id, oldest))
      .returning();
    return rows.sort((a, b) => a.id - b.id).map(pendingOf);
  }

  async markDelivered(id: number): Promise<void> {
    await this.db
      .update(outbox)
      .set({
        deliveredAt: this.clock.now(),
        attempts: sql`${outbox.attempts} + 1`,
        lastError: null,
        claimedUntil: null,
      })
      .where(eq(outbox.id, id));
  }

  async markFailed(id: number, error: string, retryAt: number): Promise<void> {
    await this.db
      .update(outbox)
      .set({
        attempts: sql`${outbox.attempts} + 1`,
        lastError: error,
        deliverAfter: retryAt,
        claimedUntil: null,
      })
      .where(eq(outbox.id, id));
  }

  async undelivered(kinds: readonly OutboxKind[]): Promise<UndeliveredMessage[]> {
    const rows = await this.db
      .select({ payload: outbox.payload, lastError: outbox.lastError })
      .from(outbox)
      .where(
        and(
          isNull(outbox.deliveredAt),
          lt(outbox.deliverAfter, PARKED),
          inArray(outbox.kind, [...kinds]),
        ),
      )
      .orderBy(asc(outbox.id));
    return rows.map((row) => ({ message: row.payload as OutboxMessage, lastError: row.lastError }));
  }

  async backlog(): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(outbox)
      .where(isNull(outbox.deliveredAt));
    return row?.n ?? 0;
  }

  private get db() {
    return this.transactions.db;
  }
}
