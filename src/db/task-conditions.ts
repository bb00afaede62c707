import { sql } from "drizzle-orm";
import { tasks } from "./schema.js";

/**
 * The WHERE terms of the partial indexes on tasks (see schema.ts), for queries to repeat word
 * for word: SQLite uses a partial index only for a query that implies its condition, and a
 * bound parameter in place of the literal state would not.
 */
export const QUEUED = sql`${tasks.state} = 'queued'`;
export const RETRY_WAITING = sql`${tasks.state} = 'retry_wait'`;
export const HOLDING_LEASE = sql`${tasks.state} IN ('running', 'reviewing')`;
