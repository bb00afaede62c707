import { and, asc, eq, inArray, isNull, lte, sql } from "drizzle-orm";
import type { Clock } from "../../core/clock.js";
import type { Outbox, OutboxKind, OutboxMessage, PendingMessage } from "../../core/outbox.js";
import { outbox } from "./schema.js";
import type { Transactions } from "./transactions.js";

/** The outbox on PostgreSQL: a message is added with the change that caused it, once per key. */
export class PgOutboxStore implements Outbox<"async"> {
  constructor(
    private readonly transactions: Transactions,
    private readonly clock: Clock,
  ) {}

  async add(message: OutboxMessage, key: string, deliverAfter?: number): Promise<boolean> {
    const now = this.clock.now();
    const added = await this.db
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
      .returning({ id: outbox.id });
    return added.length > 0;
  }

  async pending(limit: number, kinds?: readonly OutboxKind[]): Promise<PendingMessage[]> {
    const rows = await this.db
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
      .limit(limit);
    return rows.map((row) => ({
      id: row.id,
      key: row.key,
      message: row.payload as OutboxMessage,
      attempts: row.attempts,
    }));
  }

  async markDelivered(id: number): Promise<void> {
    await this.db
      .update(outbox)
      .set({
        deliveredAt: this.clock.now(),
        attempts: sql`${outbox.attempts} + 1`,
        lastError: null,
      })
      .where(eq(outbox.id, id));
  }

  async markFailed(id: number, error: string, retryAt: number): Promise<void> {
    await this.db
      .update(outbox)
      .set({ attempts: sql`${outbox.attempts} + 1`, lastError: error, deliverAfter: retryAt })
      .where(eq(outbox.id, id));
  }

  private get db() {
    return this.transactions.db;
  }
}
