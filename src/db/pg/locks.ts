import { sql } from "drizzle-orm";
import type pg from "pg";
import type { Queryable } from "./transactions.js";

/**
 * What an advisory lock serializes, each its own space of keys (the first of PostgreSQL's two
 * 32-bit keys), so a name in one never waits on the same name in another.
 */
const SPACES = { incident: 1, escalation: 2, role: 3 } as const;

/**
 * Waits until no other transaction holds the lock on `name` in `space`, then holds it until this
 * one ends: processes doing the same thing at once take turns.
 */
export async function lockUntilCommit(
  db: Queryable,
  space: "incident" | "escalation",
  name: string,
): Promise<void> {
  await db.execute(sql`SELECT pg_advisory_xact_lock(${SPACES[space]}, hashtext(${name}))`);
}

/**
 * Takes the session lock on a role's name if no other session holds it, without waiting; held
 * until `client`'s session ends (the server releases it when the connection dies).
 */
export async function tryLockForSession(client: pg.Client, role: string): Promise<boolean> {
  const { rows } = await client.query<{ taken: boolean }>(
    "SELECT pg_try_advisory_lock($1, hashtext($2)) AS taken",
    [SPACES.role, role],
  );
  return rows[0]?.taken === true;
}
