import { and, asc, desc, eq, isNotNull, ne, sql } from "drizzle-orm";
import type { Decision, LearnedExample, LearnedExamples, Unconfirmed } from "../routing/learned.js";
import type { Db } from "./connection.js";
import * as exampleRows from "./routing-example-rows.js";
import { routingExamples, tasks } from "./schema.js";

/**
 * People's routing decisions, kept for the router to learn from; and the confirmations, read
 * from the tasks they are.
 */
export class RoutingExampleStore implements LearnedExamples {
  constructor(private readonly db: Db) {}

  add(example: Decision): LearnedExample {
    const [row] = this.db
      .insert(routingExamples)
      .values(exampleRows.decisionRow(example))
      .returning({ id: routingExamples.id })
      .all();
    return { ...example, id: row!.id };
  }

  list(category?: string): LearnedExample[] {
    const ofCategory = category === undefined ? undefined : eq(routingExamples.category, category);
    return this.db
      .select()
      .from(routingExamples)
      .where(and(DECISION, ofCategory))
      .orderBy(asc(routingExamples.id))
      .all()
      .map(exampleRows.toDecision);
  }

  recent(limit: number): LearnedExample[] {
    return this.db
      .select()
      .from(routingExamples)
      .where(DECISION)
      .orderBy(desc(routingExamples.at), desc(routingExamples.id))
      .limit(limit)
      .all()
      .map(exampleRows.toDecision);
  }

  remove(id: number): boolean {
    const removing = this.db.delete(routingExamples);
    return removing.where(and(eq(routingExamples.id, id), DECISION)).run().changes > 0;
  }

  confirmations(limit: number): LearnedExample[] {
    // The latest by id (the primary key's order), however long ago they were filed.
    const tasksDone: exampleRows.ConfirmationRow[] = this.db
      .select(exampleRows.confirmationColumnsOf(tasks))
      .from(tasks)
      .where(exampleRows.confirmed(tasks, routed, this.forgotten()))
      .orderBy(desc(tasks.id))
      .limit(limit)
      .all();
    return exampleRows.confirmationsOf(tasksDone);
  }

  unconfirm(forgotten: Unconfirmed): boolean {
    const already = this.db
      .select({ id: routingExamples.id })
      .from(routingExamples)
      .where(and(FORGOTTEN, eq(routingExamples.taskId, forgotten.taskId)))
      .get();
    if (already !== undefined) return false;
    this.db.insert(routingExamples).values(exampleRows.unconfirmedRow(forgotten)).run();
    return true;
  }

  forgottenConfirmations(limit: number): number[] {
    return this.forgotten()
      .orderBy(desc(routingExamples.id))
      .limit(limit)
      .all()
      .map(({ id }) => id!);
  }

  private forgotten() {
    return this.db
      .select({ id: routingExamples.taskId })
      .from(routingExamples)
      .where(and(FORGOTTEN, isNotNull(routingExamples.taskId)));
  }
}

const FORGOTTEN = eq(routingExamples.origin, "unconfirmed");
const DECISION = ne(routingExamples.origin, "unconfirmed");

/** A key of a task's routing trace (JSON text). */
function routed(key: string) {
  return sql`json_extract(${tasks.routing}, ${`$.${key}`})`;
}
