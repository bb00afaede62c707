import { getTableColumns, getTableName, is } from "drizzle-orm";
import { PgTable, getTableConfig as pgConfig } from "drizzle-orm/pg-core";
import { SQLiteTable, getTableConfig as sqliteConfig } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import * as postgres from "../../../src/db/pg/schema.js";
import * as sqlite from "../../../src/db/schema.js";

const sqliteTables = (Object.entries(sqlite) as [string, unknown][]).filter(
  (entry): entry is [string, SQLiteTable] => is(entry[1], SQLiteTable),
);

const pgTables = new Map(
  (Object.entries(postgres) as [string, unknown][]).filter((entry): entry is [string, PgTable] =>
    is(entry[1], PgTable),
  ),
);

/** Each column as the two schemas must agree on it: its name in SQL and whether it may be null. */
function columns(table: SQLiteTable | PgTable) {
  return Object.fromEntries(
    Object.entries(getTableColumns(table)).map(([key, column]) => [
      key,
      { name: column.name, notNull: column.notNull, primary: column.primary },
    ]),
  );
}

describe("the PostgreSQL schema mirrors the SQLite one", () => {
  it("has every table", () => {
    const pgTables = Object.entries(postgres).filter(([, value]) => is(value, PgTable));
    expect(pgTables.map(([name]) => name).sort()).toEqual(
      sqliteTables.map(([name]) => name).sort(),
    );
  });

  it.each(sqliteTables)("%s: the same columns, keys and indexes", (name, table) => {
    const mirror = pgTables.get(name)!;
    expect(getTableName(mirror)).toBe(getTableName(table));
    expect(columns(mirror)).toEqual(columns(table));
    const [lite, pg] = [sqliteConfig(table), pgConfig(mirror)];
    const indexes = (list: { config: { name?: string; unique?: boolean } }[]) =>
      list.map(({ config }) => `${config.name}${config.unique ? " (unique)" : ""}`).sort();
    expect(indexes(pg.indexes)).toEqual(indexes(lite.indexes));
    const keys = (list: { columns: { name: string }[] }[]) =>
      list.map((key) => key.columns.map((column) => column.name).join(","));
    expect(keys(pg.primaryKeys)).toEqual(keys(lite.primaryKeys));
  });
});
