import type Database from "better-sqlite3";
import { type Column, is, Placeholder, type SQL, sql } from "drizzle-orm";
import type { Db } from "./connection.js";

/**
 * A placeholder bound as it is given: values are encoded by `encode` first. (A bare placeholder
 * on a column is encoded by drizzle even when null, which would store a JSON column's null as
 * the text 'null' where the unprepared query stores NULL.)
 */
export function slot(name: string): SQL {
  return sql`${sql.placeholder(name)}`;
}

/** The placeholders of a row shape, typed as the row the builder expects. */
export function slots<T>(keys: readonly string[]): T {
  return Object.fromEntries(keys.map((key) => [key, slot(key)])) as T;
}

/** A value as drizzle's unprepared queries bind it to the column: null stays NULL. */
export function encode(column: Column, value: unknown): unknown {
  return value === null ? null : column.mapToDriverValue(value);
}

/**
 * A query built by drizzle and run by better-sqlite3 directly, its parameters passed by
 * position. On the hot path drizzle's work on every call (filling each placeholder by name,
 * then mapping each column of a row) cost more than SQLite's own for a small write, so the task
 * path's statements run this way (docs/performance.md).
 * `names` are the placeholders in the order the caller passes them: a query whose placeholders
 * come in another order is refused here, once, instead of being bound wrongly.
 */
export function prepareDirect(
  db: Db,
  query: { toSQL(): { sql: string; params: unknown[] } },
  names: readonly string[],
): Database.Statement {
  const { sql, params } = query.toSQL();
  const found = params.map((param) => (is(param, Placeholder) ? param.name : "(a value)"));
  if (found.join() !== names.join()) {
    throw new Error(`${sql}: placeholders ${found.join(", ")}, expected ${names.join(", ")}`);
  }
  return db.$client.prepare(sql);
}

/**
 * Reads rows of `columns` (selected in this order, as arrays: `statement.raw()`) into objects
 * as drizzle would map them: each non-null value through its column's decoder (JSON parsed).
 */
export function rowDecoder<T>(columns: Readonly<Record<string, Column>>): (row: unknown[]) => T {
  const entries = Object.entries(columns);
  return (row) => {
    const decoded: Record<string, unknown> = {};
    for (let index = 0; index < entries.length; index++) {
      const [key, column] = entries[index]!;
      const value = row[index];
      decoded[key] = value === null ? null : column.mapFromDriverValue(value);
    }
    return decoded as T;
  };
}
