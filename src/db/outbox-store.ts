import { and, asc, count, eq, inArray, isNull, lt, sql } from "drizzle-orm";
import type { Clock } from "../core/clock.js";
import {
  type Outbox,
  type OutboxKind,
  type OutboxMessage,
  PARKED,
  type PendingMessage,
  type UndeliveredMessage,
} from "../core/outbox.js";
import type { Db } from "./connection.js";
import { encode, prepareDirect, slots } from "./direct.js";
import { due, pendingOf } from "./outbox-rows.js";
import { outbox } from "./schema.js";

/** Adding a message is on every task's path (its done notice): prepared once per connection. */
function prepareInsert(db: Db) {
  const names = [
    "kind",
    "key",
    "taskId",
    "escalationId",
    "payload",
    "createdAt",
    "deliverAfter",
  ] as const;
  const values = {
    ...slots<typeof outbox.$inferInsert>(names),
    // Given, not left to the column's default: drizzle would bind that as a value of its own.
    attempts: sql`0`,
  };
  return prepareDirect(
    db,
    db.insert(outbox).values(values).onConflictDoNothing({ target: outbox.key }),
    names,
  );
}

export class OutboxStore implements Outbox {
  private insert: ReturnType<typeof prepareInsert> | undefined;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /**
   * Prepares the insert now rather than on the first message (start-up). It is otherwise
   * prepared on first use, so a store can be made before the migrations run.
   */
  prepare(): void {
    void this.inserting;
  }

  private get inserting(): ReturnType<typeof prepareInsert> {
    this.insert ??= prepareInsert(this.db);
    return this.insert;
  }

  add(message: OutboxMessage, key: string, deliverAfter?: number): boolean {
    const now = this.clock.now();
    const result = this.inserting.run(
      message.kind,
      key,
      "taskId" in message ? message.taskId : null,
      "escalationId" in message ? message.escalationId : null,
      encode(outbox.payload, message),
      now,
      deliverAfter ?? now,
    );
    return result.changes > 0;
  }

  pending(limit: number, kinds?: readonly OutboxKind[]): PendingMessage[] {
    return this.db
      .select()
      .from(outbox)
      .where(due(outbox, this.clock.now(), kinds))
      .orderBy(asc(outbox.id))
      .limit(limit)
      .all()
      .map(pendingOf);
  }

  /** One UPDATE of the oldest due messages: on the one connection, nothing slips in between. */
  claim(limit: number, leaseMs: number, kinds?: readonly OutboxKind[]): PendingMessage[] {
    const now = this.clock.now();
    const oldest = this.db
      .select({ id: outbox.id })
      .from(outbox)
      .where(due(outbox, now, kinds))
      .orderBy(asc(outbox.id))
      .limit(limit);
    return this.db
      .update(outbox)
      .set({ claimedUntil: now + leaseMs })
      .where(inArray(outbox.id, oldest))
      .returning()
      .all()
      .sort((a, b) => a.id - b.id)
      .map(pendingOf);
  }

  markDelivered(id: number): void {
    this.db
      .update(outbox)
      .set({
        deliveredAt: this.clock.now(),
        attempts: sql`${outbox.attempts} + 1`,
        lastError: null,
        claimedUntil: null,
      })
      .where(eq(outbox.id, id))
      .run();
  }

  markFailed(id: number, error: string, retryAt: number): void {
    this.db
      .update(outbox)
      .set({
        attempts: sql`${outbox.attempts} + 1`,
        lastError: error,
        deliverAfter: retryAt,
        claimedUntil: null,
      })
      .where(eq(outbox.id, id))
      .run();
  }

  undelivered(kinds: readonly OutboxKind[]): UndeliveredMessage[] {
    return this.db
      .select({ payload: outbox.payload, lastError: outbox.lastError })
      .from(outbox)
      .where(
        and(
          isNull(outbox.deliveredAt),
          lt(outbox.deliverAfter, PARKED),
          inArray(outbox.kind, [...kinds]),
        ),
      )
      .orderBy(asc(outbox.id))
      .all()
      .map((row) => ({ message: row.payload as OutboxMessage, lastError: row.lastError }));
  }

  backlog(): number {
    return (
      this.db.select({ n: count() }).from(outbox).where(isNull(outbox.deliveredAt)).get()?.n ?? 0
    );
  }
}
