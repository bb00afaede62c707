import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach } from "vitest";
import { loadConfigFile } from "../src/config/load.js";
import type { Config } from "../src/config/schema.js";
import { ManualClock } from "../src/core/clock.js";
import type { Task } from "../src/core/task.js";
import { type DatabaseOptions, type OpenDatabase, openDatabase } from "../src/db/connection.js";
import { tasks } from "../src/db/schema.js";
import { TaskStore } from "../src/db/task-store.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.();
});

/** A fresh directory removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "steward-test-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A real SQLite file with the real migrations, closed and removed after the test. */
export function testDatabase(options: DatabaseOptions = {}): OpenDatabase & { file: string } {
  const file = join(tempDir(), "steward.db");
  const database = openDatabase(file, options);
  cleanups.push(() => database.close());
  return { ...database, file };
}

/** What another process reading the file sees: committed rows only. */
export function outsideReader(file: string) {
  const reader = new Database(file, { readonly: true });
  cleanups.push(() => reader.close());
  return {
    count: (table: string) =>
      (reader.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n,
    state: (taskId: number) =>
      (
        reader.prepare("SELECT state FROM tasks WHERE id = ?").get(taskId) as
          | { state: string }
          | undefined
      )?.state,
    close: () => reader.close(),
  };
}

export function testStore(clock = new ManualClock()) {
  const database = testDatabase();
  return {
    ...database,
    clock,
    store: new TaskStore(database.db, clock, database.writes),
  };
}

/** Arranges a task directly in any state, bypassing the lifecycle (test set-up only). */
export function insertTask(database: OpenDatabase, overrides: Partial<Task> = {}): Task {
  return database.db
    .insert(tasks)
    .values({
      state: "queued",
      objective: "Write the weekly newsletter",
      category: "content",
      routing: {
        category: "content",
        classifier: "rules",
        rule: "explicit",
        score: 1,
        matched: [],
        explanation: "test",
      },
      maxAttempts: 3,
      nextRunAt: 0,
      requester: "tester",
      source: "test",
      createdAt: 0,
      updatedAt: 0,
      stateSince: 0,
      ...overrides,
    })
    .returning()
    .get();
}

/**
 * The default config's YAML with the named categories' default acceptance criteria taken out,
 * for tests of the path where intake must ask the requester (the defaults would fill it).
 */
export function withoutDefaultCriteria(yaml: string, ...categories: string[]): string {
  let edited = yaml;
  for (const name of categories) {
    const section = new RegExp(
      String.raw`(- name: ${name}
[\s\S]*?output_format: [^
]*
)\s+acceptance_criteria:
?\s*\[[^\]]*\]
`,
    );
    const next = edited.replace(section, "$1");
    if (next === edited) throw new Error(`no default acceptance criteria for ${name} to take out`);
    edited = next;
  }
  return edited;
}

/**
 * The default config with the named categories asking for acceptance criteria instead of
 * filling in their defaults: for tests of the path where intake must ask the requester.
 */
export function askingConfig(...names: string[]): Config {
  const config = loadConfigFile("config/steward.yaml", {});
  for (const category of config.categories) {
    if (names.includes(category.name)) category.defaults.acceptance_criteria = undefined;
  }
  return config;
}

/** `make` for each item in turn, each awaited before the next: tasks filed in this order. */
export async function inOrder<T, R>(
  items: readonly T[],
  make: (item: T) => Promise<R>,
): Promise<R[]> {
  const made: R[] = [];
  for (const item of items) made.push(await make(item));
  return made;
}
