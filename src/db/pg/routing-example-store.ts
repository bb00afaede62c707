import { and, asc, desc, eq, lt, ne } from "drizzle-orm";
import type { LearnedExample, LearnedExamples } from "../../routing/learned.js";
import { briefColumnsOf, EXAMPLE_COLUMNS, exampleRow, toExample } from "../routing-example-rows.js";
import { Prepared, placeholders } from "./prepared.js";
import { routingExamples, tasks } from "./schema.js";
import type { Transactions } from "./transactions.js";

/**
 * A confirmation is stored with every task the router placed that is done: its insert is
 * prepared, as the task path's other statements are (see Prepared).
 */
const ADD = new Prepared(
  "steward_routing_example_add",
  (db) =>
    db
      .insert(routingExamples)
      .values(placeholders(...EXAMPLE_COLUMNS))
      .returning({ id: routingExamples.id }),
  ([id]) => id as number,
);

/** People's routing decisions on PostgreSQL, kept for the router to learn from. */
export class PgRoutingExampleStore implements LearnedExamples<"async"> {
  constructor(private readonly transactions: Transactions) {}

  async add(example: Omit<LearnedExample, "id">): Promise<LearnedExample> {
    const [id] = await ADD.run(this.transactions, exampleRow(example));
    return { ...example, id: id! };
  }

  async list(category?: string): Promise<LearnedExample[]> {
    const rows = await this.db
      .select({
        example: routingExamples,
        task: briefColumnsOf(tasks),
      })
      .from(routingExamples)
      .leftJoin(tasks, eq(tasks.id, routingExamples.taskId))
      .where(category === undefined ? undefined : eq(routingExamples.category, category))
      .orderBy(asc(routingExamples.id));
    return rows.flatMap(({ example, task }) => toExample(example, task) ?? []);
  }

  async recent(limit: number): Promise<LearnedExample[]> {
    const rows = await this.db
      .select()
      .from(routingExamples)
      .where(ne(routingExamples.origin, "confirmation"))
      .orderBy(desc(routingExamples.at), desc(routingExamples.id))
      .limit(limit);
    return rows.flatMap((row) => toExample(row) ?? []);
  }

  async remove(id: number): Promise<boolean> {
    const removed = await this.db
      .delete(routingExamples)
      .where(eq(routingExamples.id, id))
      .returning({ id: routingExamples.id });
    return removed.length > 0;
  }

  /** Confirmations older than the latest `kept` (their ids below the `kept`-th newest's). */
  async pruneConfirmations(kept: number): Promise<number> {
    const confirmation = eq(routingExamples.origin, "confirmation");
    const newest = this.db
      .select({ id: routingExamples.id })
      .from(routingExamples)
      .where(confirmation)
      .orderBy(desc(routingExamples.id))
      .limit(1)
      .offset(kept - 1);
    const pruned = await this.db
      .delete(routingExamples)
      .where(and(confirmation, lt(routingExamples.id, newest)))
      .returning({ id: routingExamples.id });
    return pruned.length;
  }

  private get db() {
    return this.transactions.db;
  }
}
