import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/core/clock.js";
import { asyncSqliteStore } from "../../../src/db/async-sqlite-store.js";
import { openSqliteStore, type SqliteStore } from "../../../src/db/sqlite-store.js";
import { FILED, newTask } from "../../contract/harness.js";
import { outsideReader, tempDir } from "../../helpers.js";

// The asynchronous face over the synchronous SQLite stores (what tests/contract/ cannot see: the
// connection's transaction, the group commit, other processes reading the file).

let opened: SqliteStore | undefined;
afterEach(() => {
  opened?.close();
  opened = undefined;
});

function open() {
  const file = join(tempDir(), "steward.db");
  opened = openSqliteStore(file, new ManualClock());
  return { sync: opened, store: asyncSqliteStore(opened), reader: outsideReader(file) };
}

/** Whether the group commit has a group open (it calls back at once when it has none). */
function groupOpen(sync: SqliteStore): boolean {
  let closed = false;
  sync.database.commits.whenCommitted(() => {
    closed = true;
  });
  return !closed;
}

function gate() {
  let open!: () => void;
  const passed = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, passed };
}

describe("the asynchronous face of the SQLite store", () => {
  it("the stores' own writes inside an async write commit with it, not before", async () => {
    const { sync, store, reader } = open();
    const held = gate();
    const reached = gate();
    const writing = store.tasks.write(async () => {
      const task = await store.tasks.create(newTask(), FILED);
      await store.queue.claim("content", "w", 1, "me", 60_000);
      reached.open();
      await held.passed;
      return task.id;
    });
    await reached.passed;

    expect(sync.database.sqlite.inTransaction).toBe(true);
    expect(groupOpen(sync)).toBe(false);
    expect(reader.count("tasks")).toBe(0);
    held.open();
    const id = await writing;

    expect(sync.database.sqlite.inTransaction).toBe(false);
    expect(groupOpen(sync)).toBe(false);
    expect(reader.state(id)).toBe("running");
    expect(reader.count("task_events")).toBe(2);
    expect(reader.count("attempts")).toBe(1);
  });

  it("a store's own write failing inside an async write undoes its savepoint only", async () => {
    const { sync, store, reader } = open();
    await store.tasks.write(async () => {
      await store.tasks.create(newTask(), FILED);
      // What a store method does inside: better-sqlite3 finds the transaction open, takes a
      // savepoint, and rolls back to it; the async write stays open and uncommitted.
      expect(() =>
        sync.tasks.write(() => {
          sync.tasks.create(newTask(), FILED);
          throw new Error("half-way");
        }),
      ).toThrow("half-way");
      expect(sync.database.sqlite.inTransaction).toBe(true);
      expect(groupOpen(sync)).toBe(false);
      expect(reader.count("tasks")).toBe(0);
    });

    expect(reader.count("tasks")).toBe(1);
    expect(reader.count("task_events")).toBe(1);
  });

  it("a write that rejects leaves the connection out of any transaction", async () => {
    const { sync, store, reader } = open();
    await expect(
      store.tasks.write(async () => {
        await store.tasks.write(() => store.tasks.create(newTask(), FILED));
        throw new Error("no");
      }),
    ).rejects.toThrow("no");

    expect(sync.database.sqlite.inTransaction).toBe(false);
    expect(reader.count("tasks")).toBe(0);
    await store.tasks.create(newTask(), FILED);
    expect(reader.count("tasks")).toBe(1);
  });

  it("a group a synchronous grouped write left open is committed before an async write", async () => {
    const { sync, store, reader } = open();
    sync.tasks.write(() => sync.tasks.create(newTask(), FILED), { commit: "grouped" });
    expect(groupOpen(sync)).toBe(true);

    await store.tasks.write(() => store.tasks.create(newTask(), FILED));

    expect(groupOpen(sync)).toBe(false);
    expect(reader.count("tasks")).toBe(2);
  });

  it("committed() waits for the writes begun before it", async () => {
    const { store, reader } = open();
    void store.tasks.write(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await store.tasks.create(newTask(), FILED);
    });

    await store.committed();

    expect(reader.count("tasks")).toBe(1);
  });

  it("committed() inside a write refuses rather than wait for itself", async () => {
    const { store } = open();
    await expect(store.tasks.write(() => store.committed())).rejects.toThrow(/inside a write/);
  });

  it("close() waits for the writes in flight", async () => {
    const { store } = open();
    const file = opened!.database.sqlite.name;
    const writing = store.tasks.write(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return store.tasks.create(newTask(), FILED);
    });

    await store.close();

    await expect(writing).resolves.toMatchObject({ state: "queued" });
    expect(outsideReader(file).count("tasks")).toBe(1);
    opened = undefined;
  });
});
