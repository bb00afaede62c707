import { type SQL, sql } from "drizzle-orm";
import type { ReviewPeriod } from "../../../review/port.js";
import type { Transactions } from "../transactions.js";

/*
 * What the review's PostgreSQL statements share. Times are bigint, which the driver returns as
 * text: counts are cast to int and times to float8 (exact for milliseconds), so rows come back
 * with numbers as SQLite's do. Text is ordered COLLATE "C", byte by byte as SQLite orders it,
 * whatever the database's collation.
 */

/** The rows of `query`, run in the current write or snapshot. */
export async function rowsOf<T>(transactions: Transactions, query: SQL): Promise<T[]> {
  return (await transactions.db.execute(query)).rows as T[];
}

/** The period's local days as a table `days (day, s, e)`, for a WITH clause. */
export function daysOf(period: ReviewPeriod): SQL {
  return sql`days AS (
      SELECT d.day, d.start AS s, d."end" AS e
      FROM jsonb_to_recordset(${JSON.stringify(period.days)}::jsonb)
        AS d(day text, start bigint, "end" bigint))`;
}
