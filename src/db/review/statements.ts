import type Database from "better-sqlite3";
import type { ReviewPeriod } from "../../review/port.js";

/*
 * What the review's statements share: preparing a set of them, and the period as parameters.
 *
 * The month's tasks and attempts are grouped day by day, then summed. SQLite sorts all of a GROUP
 * BY's rows at once, and that sort is much of these statements' time; a day's rows stay in the
 * CPU caches while they sort, a month's hundreds of thousands do not. SQLite has no lateral join,
 * so a correlated subquery returns each day's groups as one JSON array and `json_each` turns them
 * back into rows.
 */

/** A set of statements by name, each prepared once. */
export type Prepared<S> = { [name in keyof S]: Database.Statement };

export function prepareAll<S extends Record<string, string>>(
  sqlite: Database.Database,
  sql: S,
): Prepared<S> {
  return Object.fromEntries(
    Object.entries(sql).map(([name, text]) => [name, sqlite.prepare(text)]),
  ) as Prepared<S>;
}

/**
 * One section of the review's queries: its statements, prepared once per connection, and what it
 * answers with them.
 */
export function sectionQueries<S extends Record<string, string>, Q>(
  sql: S,
  answer: (statements: Prepared<S>) => Q,
): (sqlite: Database.Database) => Q {
  return (sqlite) => answer(prepareAll(sqlite, sql));
}

export type Range = { start: number; end: number };

export const range = (period: ReviewPeriod): Range => ({ start: period.start, end: period.end });
export const days = (period: ReviewPeriod) => ({ days: JSON.stringify(period.days) });

/** The period's local days. MATERIALIZED: inlined, the JSON would be parsed again for every row. */
export const DAYS = `days AS MATERIALIZED (
      SELECT json_extract(value, '$.day') AS day, json_extract(value, '$.start') AS s,
        json_extract(value, '$.end') AS e
      FROM json_each(@days))`;

/**
 * A `FROM` of the period's groups, one day at a time (see above): `grouped` is a GROUP BY over
 * one day `d` (from `d.s` to `d.e`) selecting `columns`; row `g` holds one group, its columns
 * read as `g.value ->> 0`, `->> 1`… in the order given.
 */
export function dayByDay(columns: readonly string[], grouped: string): string {
  return `days d, json_each((
      SELECT json_group_array(json_array(${columns.join(", ")})) FROM (${grouped}))) g`;
}
