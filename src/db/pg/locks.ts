import { sql } from "drizzle-orm";
import type { Queryable } from "./transactions.js";

/**
 * What a transaction-scoped advisory lock serializes, each its own space of keys (the first of
 * PostgreSQL's two 32-bit keys), so a name in one never waits on the same name in another.
 */
const SPACES = { incident: 1, escalation: 2 } as const;

/**
 * Waits until no other transaction holds the lock on `name` in `space`, then holds it until this
 * one ends: processes doing the same thing at once take turns.
 */
export async function lockUntilCommit(
  db: Queryable,
  space: keyof typeof SPACES,
  name: string,
): Promise<void> {
  await db.execute(sql`SELECT pg_advisory_xact_lock(${SPACES[space]}, hashtext(${name}))`);
}
