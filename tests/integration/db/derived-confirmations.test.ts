import { readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/core/clock.js";
import type { Task } from "../../../src/core/task.js";
import { openAsyncSqliteStore } from "../../../src/db/async-sqlite-store.js";
import { openPostgresStore } from "../../../src/db/pg/store.js";
import type { Store } from "../../../src/db/store.js";
import { FILED, newTask } from "../../contract/harness.js";
import { tempDir } from "../../helpers.js";
import { postgresDatabase } from "../../postgres.js";

/**
 * The migration from stored confirmations (a `routing_examples` row per task done) to derived
 * ones (the tasks themselves), on a database that holds the old rows: what a person forgot stays
 * forgotten, what was pruned is learned again, people's decisions are untouched.
 */
interface Dialect {
  open(clock: ManualClock): Promise<Store<"async">>;
  /** Runs SQL statements outside the store, in order. */
  run(statements: readonly string[]): Promise<void>;
  migration: string;
}

const MOVED = { actor: "tester", reason: "moved" };
const ROUTED = { ...newTask().routing, rule: "content.keywords" };

/** What the old Steward stored: a confirmation's row (no text), or a person's reroute. */
function oldRow(task: Task, origin: "confirmation" | "reroute"): string {
  const text = origin === "confirmation" ? "NULL" : "'moved it'";
  return `INSERT INTO routing_examples (text, category, from_category, origin, task_id, actor, at)
    VALUES (${text}, '${task.category}', NULL, '${origin}', ${task.id}, 'steward', ${task.stateSince})`;
}

function statementsOf(file: string): string[] {
  return readFileSync(file, "utf8").split("--> statement-breakpoint");
}

async function migrated(dialect: Dialect) {
  const clock = new ManualClock();
  const store = await dialect.open(clock);
  const done = async (objective: string, rule = ROUTED.rule) => {
    clock.advance(1_000);
    const routed = newTask({ objective, source: "console", routing: { ...ROUTED, rule } });
    const { id } = await store.tasks.create(routed, FILED);
    return store.tasks.advance(id, [
      { to: "running", ...MOVED },
      { to: "reviewing", ...MOVED },
      { to: "done", ...MOVED },
    ]);
  };
  const pruned = await done("done long ago: its row was pruned");
  const kept = await done("done since: its row kept");
  const forgotten = await done("done since: its row forgotten by a person");
  const rerouted = await done("moved by a person", "reroute");
  await store.close();

  await dialect.run([
    oldRow(kept, "confirmation"),
    oldRow(rerouted, "reroute"),
    ...statementsOf(dialect.migration),
  ]);

  const reopened = await dialect.open(clock);
  try {
    const examples = reopened.routingExamples;
    return {
      tasks: { pruned, kept, forgotten, rerouted },
      decisions: await examples.list(),
      confirmations: (await examples.confirmations(10)).map((example) => example.taskId),
    };
  } finally {
    await reopened.close();
  }
}

async function expectMigrated(dialect: Dialect) {
  const { tasks, decisions, confirmations } = await migrated(dialect);
  expect(decisions).toMatchObject([{ origin: "reroute", taskId: tasks.rerouted.id }]);
  expect(confirmations).toEqual([tasks.pruned.id, tasks.kept.id]);
}

describe("confirmations derived from the tasks, migrated from stored ones", () => {
  it("SQLite", async () => {
    const file = join(tempDir(), "steward.db");
    await expectMigrated({
      open: async (clock) => openAsyncSqliteStore(file, clock),
      run: async (statements) => {
        const raw = new Database(file);
        try {
          for (const statement of statements) raw.exec(statement);
        } finally {
          raw.close();
        }
      },
      migration: "drizzle/0013_derived_confirmations.sql",
    });
  });

  it("PostgreSQL", async () => {
    const url = await postgresDatabase();
    await expectMigrated({
      open: (clock) => openPostgresStore(url, clock),
      run: async (statements) => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          for (const statement of statements) await client.query(statement);
        } finally {
          await client.end();
        }
      },
      migration: "drizzle-pg/0004_derived_confirmations.sql",
    });
  });
});
