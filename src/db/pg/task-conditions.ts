import { sql } from "drizzle-orm";
import { tasks } from "./schema.js";

/**
 * The WHERE terms of the partial indexes on tasks (see schema.ts), written as literals for
 * queries to repeat: a plan is sure to use a partial index only when the query's own terms
 * imply the index's condition.
 */
export const QUEUED = sql`${tasks.state} = 'queued'`;
export const RETRY_WAITING = sql`${tasks.state} = 'retry_wait'`;
export const HOLDING_LEASE = sql`${tasks.state} IN ('running', 'reviewing')`;
