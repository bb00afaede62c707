import { asc, desc, eq, ne } from "drizzle-orm";
import type { LearnedExample, LearnedExamples } from "../../routing/learned.js";
import { exampleRow, toExample } from "../routing-example-rows.js";
import { routingExamples } from "./schema.js";
import type { Transactions } from "./transactions.js";

/** People's routing decisions on PostgreSQL, kept for the router to learn from. */
export class PgRoutingExampleStore implements LearnedExamples<"async"> {
  constructor(private readonly transactions: Transactions) {}

  async add(example: Omit<LearnedExample, "id">): Promise<LearnedExample> {
    const [row] = await this.db.insert(routingExamples).values(exampleRow(example)).returning();
    return toExample(row!);
  }

  async list(category?: string): Promise<LearnedExample[]> {
    const rows = await this.db
      .select()
      .from(routingExamples)
      .where(category === undefined ? undefined : eq(routingExamples.category, category))
      .orderBy(asc(routingExamples.id));
    return rows.map(toExample);
  }

  async recent(limit: number): Promise<LearnedExample[]> {
    const rows = await this.db
      .select()
      .from(routingExamples)
      .where(ne(routingExamples.origin, "confirmation"))
      .orderBy(desc(routingExamples.at), desc(routingExamples.id))
      .limit(limit);
    return rows.map(toExample);
  }

  async remove(id: number): Promise<boolean> {
    const removed = await this.db
      .delete(routingExamples)
      .where(eq(routingExamples.id, id))
      .returning({ id: routingExamples.id });
    return removed.length > 0;
  }

  private get db() {
    return this.transactions.db;
  }
}
