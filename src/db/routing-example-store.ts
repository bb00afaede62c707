import { and, asc, desc, eq, lt, ne } from "drizzle-orm";
import type { LearnedExample, LearnedExamples } from "../routing/learned.js";
import type { Db } from "./connection.js";
import { prepareDirect, slots } from "./direct.js";
import { briefColumnsOf, EXAMPLE_COLUMNS, exampleRow, toExample } from "./routing-example-rows.js";
import { routingExamples, tasks } from "./schema.js";

/**
 * A confirmation is stored with every task the router placed that is done: the insert is on
 * the task path, so it is prepared once per connection (building and preparing it through
 * drizzle on each call cost more than the rest of the completion; docs/performance.md).
 */
function prepareInsert(db: Db) {
  const values = slots<typeof routingExamples.$inferInsert>(EXAMPLE_COLUMNS);
  return prepareDirect(db, db.insert(routingExamples).values(values), EXAMPLE_COLUMNS);
}

/** People's routing decisions, kept for the router to learn from. */
export class RoutingExampleStore implements LearnedExamples {
  private insert: ReturnType<typeof prepareInsert> | undefined;

  constructor(private readonly db: Db) {}

  add(example: Omit<LearnedExample, "id">): LearnedExample {
    // Prepared on first use, so a store can be made before the migrations run.
    this.insert ??= prepareInsert(this.db);
    const row = exampleRow(example);
    const { text, category, fromCategory, origin, taskId, actor, at } = row;
    const inserted = this.insert.run(text, category, fromCategory, origin, taskId, actor, at);
    return { ...example, id: Number(inserted.lastInsertRowid) };
  }

  /** Oldest first; one category's when `category` is given. A confirmation's text is its task's. */
  list(category?: string): LearnedExample[] {
    const rows = this.db
      .select({
        example: routingExamples,
        task: briefColumnsOf(tasks),
      })
      .from(routingExamples)
      .leftJoin(tasks, eq(tasks.id, routingExamples.taskId))
      .where(category === undefined ? undefined : eq(routingExamples.category, category))
      .orderBy(asc(routingExamples.id))
      .all();
    return rows.flatMap(({ example, task }) => toExample(example, task) ?? []);
  }

  /** The latest `limit` decisions, most recent first. */
  recent(limit: number): LearnedExample[] {
    return this.db
      .select()
      .from(routingExamples)
      .where(ne(routingExamples.origin, "confirmation"))
      .orderBy(desc(routingExamples.at), desc(routingExamples.id))
      .limit(limit)
      .all()
      .flatMap((row) => toExample(row) ?? []);
  }

  /** Forgets one example; false when there was none with that id. */
  remove(id: number): boolean {
    return this.db.delete(routingExamples).where(eq(routingExamples.id, id)).run().changes > 0;
  }

  pruneConfirmations(kept: number): number {
    return this.db.delete(routingExamples).where(olderConfirmations(this.db, kept)).run().changes;
  }
}

/** Confirmations older than the latest `kept` (their ids below the `kept`-th newest's). */
function olderConfirmations(db: Db, kept: number) {
  const confirmation = eq(routingExamples.origin, "confirmation");
  const newest = db
    .select({ id: routingExamples.id })
    .from(routingExamples)
    .where(confirmation)
    .orderBy(desc(routingExamples.id))
    .limit(1)
    .offset(kept - 1);
  return and(confirmation, lt(routingExamples.id, newest));
}
