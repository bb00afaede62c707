import { and, asc, count, eq, inArray, isNull, lte, sql } from "drizzle-orm";
import type { Clock } from "../core/clock.js";
import type { Outbox, OutboxKind, OutboxMessage, PendingMessage } from "../core/outbox.js";
import type { Db } from "./connection.js";
import { outbox } from "./schema.js";

export class OutboxStore implements Outbox {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  add(message: OutboxMessage, key: string, deliverAfter?: number): boolean {
    const now = this.clock.now();
    const result = this.db
      .insert(outbox)
      .values({
        kind: message.kind,
        key,
        taskId: "taskId" in message ? message.taskId : null,
        escalationId: "escalationId" in message ? message.escalationId : null,
        payload: message,
        createdAt: now,
        deliverAfter: deliverAfter ?? now,
      })
      .onConflictDoNothing({ target: outbox.key })
      .run();
    return result.changes > 0;
  }

  pending(limit: number, kinds?: readonly OutboxKind[]): PendingMessage[] {
    return this.db
      .select()
      .from(outbox)
      .where(
        and(
          isNull(outbox.deliveredAt),
          lte(outbox.deliverAfter, this.clock.now()),
          kinds === undefined ? undefined : inArray(outbox.kind, [...kinds]),
        ),
      )
      .orderBy(asc(outbox.id))
      .limit(limit)
      .all()
      .map((row) => ({
        id: row.id,
        key: row.key,
        message: row.payload as OutboxMessage,
        attempts: row.attempts,
      }));
  }

  markDelivered(id: number): void {
    this.db
      .update(outbox)
      .set({
        deliveredAt: this.clock.now(),
        attempts: sql`${outbox.attempts} + 1`,
        lastError: null,
      })
      .where(eq(outbox.id, id))
      .run();
  }

  markFailed(id: number, error: string, retryAt: number): void {
    this.db
      .update(outbox)
      .set({ attempts: sql`${outbox.attempts} + 1`, lastError: error, deliverAfter: retryAt })
      .where(eq(outbox.id, id))
      .run();
  }

  backlog(): number {
    return (
      this.db.select({ n: count() }).from(outbox).where(isNull(outbox.deliveredAt)).get()?.n ?? 0
    );
  }
}
