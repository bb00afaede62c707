import { and, asc, desc, eq, isNotNull, ne, sql } from "drizzle-orm";
import type {
  Decision,
  LearnedExample,
  LearnedExamples,
  Unconfirmed,
} from "../../routing/learned.js";
import * as exampleRows from "../routing-example-rows.js";
import { routingExamples, tasks } from "./schema.js";
import type { Transactions } from "./transactions.js";

/**
 * People's routing decisions on PostgreSQL, kept for the router to learn from; and the
 * confirmations, read from the tasks they are.
 */
export class PgRoutingExampleStore implements LearnedExamples<"async"> {
  constructor(private readonly transactions: Transactions) {}

  async add(example: Decision): Promise<LearnedExample> {
    const [row] = await this.db
      .insert(routingExamples)
      .values(exampleRows.decisionRow(example))
      .returning({ id: routingExamples.id });
    return { ...example, id: row!.id };
  }

  async list(category?: string): Promise<LearnedExample[]> {
    const ofCategory = category === undefined ? undefined : eq(routingExamples.category, category);
    const rows = await this.db
      .select()
      .from(routingExamples)
      .where(and(DECISION, ofCategory))
      .orderBy(asc(routingExamples.id));
    return rows.map(exampleRows.toDecision);
  }

  async recent(limit: number): Promise<LearnedExample[]> {
    const rows = await this.db
      .select()
      .from(routingExamples)
      .where(DECISION)
      .orderBy(desc(routingExamples.at), desc(routingExamples.id))
      .limit(limit);
    return rows.map(exampleRows.toDecision);
  }

  async remove(id: number): Promise<boolean> {
    const removed = await this.db
      .delete(routingExamples)
      .where(and(eq(routingExamples.id, id), DECISION))
      .returning({ id: routingExamples.id });
    return removed.length > 0;
  }

  async confirmations(limit: number): Promise<LearnedExample[]> {
    // The latest by id (the primary key's order), however long ago they were filed.
    const tasksDone: exampleRows.ConfirmationRow[] = await this.db
      .select(exampleRows.confirmationColumnsOf(tasks))
      .from(tasks)
      .where(exampleRows.confirmed(tasks, routed, this.forgotten()))
      .orderBy(desc(tasks.id))
      .limit(limit);
    return exampleRows.confirmationsOf(tasksDone);
  }

  async unconfirm(forgotten: Unconfirmed): Promise<boolean> {
    const already = await this.db
      .select({ id: routingExamples.id })
      .from(routingExamples)
      .where(and(FORGOTTEN, eq(routingExamples.taskId, forgotten.taskId)))
      .limit(1);
    if (already.length > 0) return false;
    await this.db.insert(routingExamples).values(exampleRows.unconfirmedRow(forgotten));
    return true;
  }

  async forgottenConfirmations(limit: number): Promise<number[]> {
    const rows = await this.forgotten().orderBy(desc(routingExamples.id)).limit(limit);
    return rows.map(({ id }) => id!);
  }

  private forgotten() {
    return this.db
      .select({ id: routingExamples.taskId })
      .from(routingExamples)
      .where(and(FORGOTTEN, isNotNull(routingExamples.taskId)));
  }

  private get db() {
    return this.transactions.db;
  }
}

const FORGOTTEN = eq(routingExamples.origin, "unconfirmed");
const DECISION = ne(routingExamples.origin, "unconfirmed");

/** A key of a task's routing trace (jsonb). */
function routed(key: string) {
  return sql`${tasks.routing} ->> ${key}`;
}
