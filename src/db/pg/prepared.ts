import { is, Placeholder, type SQL, sql } from "drizzle-orm";
import type { Queryable, Transactions } from "./transactions.js";

/** What a statement is built from: a drizzle query, once, for its text and its placeholders. */
type Built = { toSQL(): { sql: string; params: unknown[] } };

/**
 * A repository's busiest statement, built by drizzle once per process and run by node-postgres
 * directly as a named statement (the server parses it once per connection), its values filled by
 * placeholder name. drizzle's own execution wraps every call in tracing and caching layers and
 * maps each column by name: most of a worker process's CPU a task (docs/performance.md). Rows
 * come back as arrays, decoded by `decode` (`rowDecoder` over the columns returned, in order).
 */
export class Prepared<Row = unknown> {
  private statement: { text: string; slots: readonly Slot[] } | undefined;

  constructor(
    private readonly name: string,
    private readonly build: (db: Queryable) => Built,
    private readonly decode: (row: unknown[]) => Row = (row) => row as Row,
  ) {}

  /** Runs on the open write's connection, or outside one on the pool (`Transactions.connection`). */
  async run(
    transactions: Transactions,
    values: Readonly<Record<string, unknown>> = {},
  ): Promise<Row[]> {
    this.statement ??= statementOf(this.build(transactions.db));
    const { text, slots } = this.statement;
    const result = await transactions.connection.query<unknown[]>({
      name: this.name,
      text,
      values: slots.map((slot) => ("value" in slot ? slot.value : filled(values, slot.name))),
      rowMode: "array",
    });
    return result.rows.map(this.decode);
  }
}

/** A parameter of a built statement: a placeholder, filled by name, or a value it holds. */
type Slot = { name: string } | { value: unknown };

/** A placeholder's value; one not given is a bug in the caller, not a NULL to store. */
function filled(values: Readonly<Record<string, unknown>>, name: string): unknown {
  const value = values[name];
  if (value === undefined && !(name in values)) throw new Error(`no value for placeholder ${name}`);
  return value;
}

function statementOf(query: Built): { text: string; slots: readonly Slot[] } {
  const { sql, params } = query.toSQL();
  const slots = params.map((param) =>
    is(param, Placeholder) ? { name: param.name } : { value: param },
  );
  return { text: sql, slots };
}

/**
 * A statement in variants (a list of columns, a count of rows): each variant built when first
 * asked for, under a name of its own (see `Prepared`).
 */
export class PreparedVariants<K, Row = unknown> {
  private readonly variants = new Map<K, Prepared<Row>>();

  constructor(
    private readonly prefix: string,
    private readonly prepare: (variant: K) => {
      build: (db: Queryable) => Built;
      decode?: (row: unknown[]) => Row;
    },
  ) {}

  of(variant: K): Prepared<Row> {
    let statement = this.variants.get(variant);
    if (statement === undefined) {
      const { build, decode } = this.prepare(variant);
      statement = new Prepared(`${this.prefix}_${this.variants.size + 1}`, build, decode);
      this.variants.set(variant, statement);
    }
    return statement;
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
