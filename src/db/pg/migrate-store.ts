import { existsSync } from "node:fs";
import { asc, count, getTableColumns, getTableName, gt, sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { openDatabase } from "../connection.js";
import * as sqlite from "../schema.js";
import { ownSqliteFile } from "../sqlite-owner.js";
import { openPostgres } from "./connection.js";
import * as postgres from "./schema.js";

/**
 * Every table, SQLite's and its PostgreSQL mirror (the same property names), in an order that
 * inserts what a row refers to before the row. Not `processes`: who was running on the file says
 * nothing of who runs on the server.
 */
const TABLES: readonly [SQLiteTable, PgTable][] = [
  [sqlite.tasks, postgres.tasks],
  [sqlite.taskEvents, postgres.taskEvents],
  [sqlite.attempts, postgres.attempts],
  [sqlite.escalations, postgres.escalations],
  [sqlite.escalationTasks, postgres.escalationTasks],
  [sqlite.anomalies, postgres.anomalies],
  [sqlite.incidents, postgres.incidents],
  [sqlite.outbox, postgres.outbox],
  [sqlite.scheduleRuns, postgres.scheduleRuns],
  [sqlite.reviewPosts, postgres.reviewPosts],
  [sqlite.chatRefs, postgres.chatRefs],
  [sqlite.routingExamples, postgres.routingExamples],
];

/** Rows read and inserted at a time: few enough statement parameters for the widest table. */
const BATCH = 500;

export interface CopiedTable {
  table: string;
  rows: number;
}

/**
 * Copies a SQLite database (brought to the current schema first) into an empty PostgreSQL one,
 * ids kept, in one transaction: the identities then continue after the highest id copied, and
 * every table's count is checked against the source before it commits. A target that already
 * holds tasks is refused, and so is a source a running Steward serves (`ownSqliteFile`).
 */
export async function migrateStore(from: string, to: string): Promise<CopiedTable[]> {
  // Opening a SQLite path creates the file: a mistyped --from would copy an empty database.
  if (!existsSync(from)) throw new Error(`no SQLite database at ${from}`);
  // Held while it copies: a Steward still serving the file would go on writing after the copy,
  // and what it wrote would be left behind when PostgreSQL takes over.
  const owner = ownSqliteFile(from);
  try {
    return await copy(from, to);
  } finally {
    owner.release();
  }
}

async function copy(from: string, to: string): Promise<CopiedTable[]> {
  const source = openDatabase(from);
  const target = await openPostgres(to, { max: 1 });
  // One read transaction for the whole copy: every table read and counted at one moment.
  source.sqlite.exec("BEGIN");
  try {
    return await target.db.transaction(async (tx) => {
      // Nobody files a task in the target while it is being filled.
      await tx.execute(sql`LOCK TABLE ${postgres.tasks} IN SHARE ROW EXCLUSIVE MODE`);
      const [held] = await tx.select({ n: count() }).from(postgres.tasks);
      if (held!.n > 0) throw new Error(`${redacted(to)} already holds ${held!.n} tasks`);
      const copied: CopiedTable[] = [];
      for (const [from, into] of TABLES) {
        let rows = 0;
        for (const batch of batches(source.db, from)) {
          await tx.insert(into).values(batch);
          rows += batch.length;
        }
        const table = getTableName(into);
        const inSource = source.db.select({ n: count() }).from(from).get()!.n;
        const [stored] = await tx.select({ n: count() }).from(into);
        if (stored!.n !== inSource || rows !== inSource)
          throw new Error(`${table}: ${inSource} rows in the source, ${stored!.n} stored`);
        if ("id" in getTableColumns(into)) await restartIdentity(tx, table);
        copied.push({ table, rows });
      }
      return copied;
    });
  } finally {
    source.sqlite.exec("ROLLBACK");
    source.close();
    await target.close();
  }
}

type SqliteDb = ReturnType<typeof openDatabase>["db"];
type PgTx = Parameters<
  Parameters<Awaited<ReturnType<typeof openPostgres>>["db"]["transaction"]>[0]
>[0];

/** A table's rows, `BATCH` at a time in rowid order (a large table is never read whole). */
function* batches(db: SqliteDb, table: SQLiteTable): Generator<Record<string, unknown>[]> {
  const rowid = sql<number>`rowid`;
  for (let after = 0; ; ) {
    const rows = db
      .select({ rowid, ...getTableColumns(table) })
      .from(table)
      .where(gt(rowid, after))
      .orderBy(asc(rowid))
      .limit(BATCH)
      .all();
    if (rows.length === 0) return;
    after = rows[rows.length - 1]!.rowid;
    yield rows.map(({ rowid: _, ...row }) => row);
  }
}

/** The next id given is one past the highest copied (or 1 in an empty table). */
async function restartIdentity(tx: PgTx, table: string): Promise<void> {
  await tx.execute(
    sql`SELECT setval(pg_get_serial_sequence(${table}, 'id'), coalesce(max(id), 0) + 1, false) FROM ${sql.identifier(table)}`,
  );
}

/** A URL as it may be printed: without its password. */
export function redacted(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== "") parsed.password = "***";
  return parsed.toString();
}
