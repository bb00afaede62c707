import { type SQL, sql } from "drizzle-orm";
import type { Queryable } from "./transactions.js";

/**
 * A repository's busiest statements, prepared once per connection: drizzle builds each query
 * once instead of on every call (building them was most of a worker process's CPU per task;
 * docs/performance.md), and the server parses each once per connection (a named statement).
 * `prepare` makes them over a connection's drizzle; `on` finds those of the connection a call
 * runs on: the open write's, or the pool's outside one.
 */
export class Prepared<S> {
  private readonly byConnection = new WeakMap<Queryable, S>();

  constructor(private readonly prepare: (db: Queryable) => S) {}

  on(db: Queryable): S {
    let statements = this.byConnection.get(db);
    if (statements === undefined) {
      statements = this.prepare(db);
      this.byConnection.set(db, statements);
    }
    return statements;
  }
}

/**
 * A statement prepared in variants (a list of columns, a count of rows): each variant once per
 * connection, when first asked for (see `Prepared`).
 */
export class PreparedVariants<K, S> {
  private readonly variants = new Prepared(() => new Map<K, S>());

  constructor(private readonly prepare: (db: Queryable, variant: K) => S) {}

  on(db: Queryable, variant: K): S {
    const prepared = this.variants.on(db);
    let statement = prepared.get(variant);
    if (statement === undefined) {
      statement = this.prepare(db, variant);
      prepared.set(variant, statement);
    }
    return statement;
  }
}

/**
 * A name per distinct statement text, the same on every connection: the server keeps a named
 * statement per connection, and one name must never stand for two texts.
 */
export class StatementNames {
  private readonly names = new Map<string, string>();

  constructor(private readonly prefix: string) {}

  of(variant: string): string {
    let name = this.names.get(variant);
    if (name === undefined) {
      name = `${this.prefix}_${this.names.size + 1}`;
      this.names.set(variant, name);
    }
    return name;
  }
}

/**
 * A placeholder drizzle passes on as given, without its column's encoding: a jsonb column's is
 * filled with `asJson` (drizzle's encoding would store a missing value as JSON `null`, not as
 * the SQL NULL an unprepared statement writes).
 */
export function placeholder(name: string): SQL {
  return sql`${sql.placeholder(name)}`;
}

/** A `placeholder` per name, each under its own name: a statement's values or columns to set. */
export function placeholders<K extends string>(...names: K[]): Record<K, SQL> {
  return Object.fromEntries(names.map((name) => [name, placeholder(name)])) as Record<K, SQL>;
}

/** A jsonb column's value for `placeholder`: its JSON text, or NULL. */
export function asJson(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}
