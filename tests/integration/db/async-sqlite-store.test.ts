import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/core/clock.js";
import { asyncSqliteStore } from "../../../src/db/async-sqlite-store.js";
import type { DatabaseOptions } from "../../../src/db/connection.js";
import { openSqliteStore, type SqliteStore } from "../../../src/db/sqlite-store.js";
import { FILED, newTask, otherTurns } from "../../contract/harness.js";
import { outsideReader, tempDir } from "../../helpers.js";

// The asynchronous face over the synchronous SQLite stores (what tests/contract/ cannot see: the
// connection's transaction, the group commit, other processes reading the file).

/** A window no test outlasts: a group commits when a test says so (or when full). */
const LONG_WINDOW = { windowMs: 60_000, maxUnits: 1024 };

let opened: SqliteStore | undefined;
afterEach(() => {
  opened?.close();
  opened = undefined;
});

function open(options?: DatabaseOptions) {
  const file = join(tempDir(), "steward.db");
  opened = openSqliteStore(file, new ManualClock(), options);
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

describe("grouped writes through the asynchronous face", () => {
  const grouped = { commit: "grouped" } as const;

  it("a grouped write resolves with its work done, durable only once committed() resolves", async () => {
    const { sync, store, reader } = open({ grouping: { windowMs: 500, maxUnits: 1024 } });
    const task = await store.tasks.write(() => store.tasks.create(newTask(), FILED), grouped);

    expect(groupOpen(sync)).toBe(true);
    expect(reader.count("tasks")).toBe(0);
    expect((await store.tasks.get(task.id))?.state).toBe("queued");
    await store.committed();
    expect(groupOpen(sync)).toBe(false);
    expect(reader.state(task.id)).toBe("queued");
  });

  it("a read outside a write commits nothing: the open group stays open, and is seen", async () => {
    const { sync, store, reader } = open({ grouping: LONG_WINDOW });
    const task = await store.tasks.write(() => store.tasks.create(newTask(), FILED), grouped);

    expect(await store.tasks.stateOf(task.id)).toBe("queued");
    expect(await store.status.openCounts()).not.toEqual([]);
    expect(await store.outbox.pending(10)).toEqual([]);
    expect(groupOpen(sync)).toBe(true);
    expect(reader.count("tasks")).toBe(0);
    // A write outside a write commits at once, and the group it joined with it.
    await store.outbox.markDelivered(404);
    expect(groupOpen(sync)).toBe(false);
    expect(reader.count("tasks")).toBe(1);
  });

  it("afterCommit in a grouped write hears once its group has committed", async () => {
    const { store, reader } = open({ grouping: { windowMs: 200, maxUnits: 1024 } });
    const heard: number[] = [];
    await store.tasks.write(async () => {
      await store.tasks.create(newTask(), FILED);
      store.tasks.afterCommit((error) => {
        if (error === undefined) heard.push(reader.count("tasks"));
      });
    }, grouped);
    await otherTurns();
    expect(heard).toEqual([]);
    await store.committed();
    expect(heard).toEqual([1]);
  });

  it("grouped writes share one commit, made when the group is full", async () => {
    const { sync, store, reader } = open({ grouping: { windowMs: 60_000, maxUnits: 2 } });
    await store.tasks.write(() => store.tasks.create(newTask(), FILED), grouped);
    expect(reader.count("tasks")).toBe(0);
    await store.tasks.write(() => store.tasks.create(newTask(), FILED), grouped);

    expect(groupOpen(sync)).toBe(false);
    expect(reader.count("tasks")).toBe(2);
  });

  it("the window's commit waits for its turn: never between a write's statements", async () => {
    const { sync, store, reader } = open({ grouping: { windowMs: 10, maxUnits: 1024 } });
    await store.tasks.write(() => store.tasks.create(newTask(), FILED), grouped);
    const reached = gate();
    const failing = store.tasks.write(async () => {
      await store.tasks.create(newTask({ dedupeKey: "half" }), FILED);
      reached.open();
      // Past the window: a commit landing now would make the half-done write durable.
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(reader.count("tasks")).toBe(0);
      throw new Error("half-way");
    }, grouped);
    await reached.passed;

    await expect(failing).rejects.toThrow("half-way");
    await store.committed();
    expect(groupOpen(sync)).toBe(false);
    expect(reader.count("tasks")).toBe(1);
    expect(await store.tasks.findByDedupeKey("contract", "half")).toBeUndefined();
  });

  it('an undo "all" write that fails rolls the group back, and its waiters hear the error', async () => {
    const { sync, store, reader } = open({ grouping: LONG_WINDOW });
    await store.tasks.write(() => store.tasks.create(newTask({ dedupeKey: "a" }), FILED), grouped);
    const waiting = sync.tasks.committed();

    await expect(
      store.tasks.write(
        async () => {
          await store.tasks.create(newTask({ dedupeKey: "b" }), FILED);
          throw new Error("half-way");
        },
        { commit: "grouped", undo: "all" },
      ),
    ).rejects.toThrow("half-way");

    await expect(waiting).rejects.toThrow("half-way");
    expect(sync.database.sqlite.inTransaction).toBe(false);
    expect(await store.tasks.findByDedupeKey("contract", "a")).toBeUndefined();
    expect(await store.tasks.findByDedupeKey("contract", "b")).toBeUndefined();
    // The next group starts clean.
    await store.tasks.write(() => store.tasks.create(newTask(), FILED), grouped);
    await store.tasks.write(() => store.tasks.create(newTask(), FILED));
    expect(reader.count("tasks")).toBe(2);
  });

  it("a grouped write's own failure undoes it alone; the group commits", async () => {
    const { store, reader } = open({ grouping: LONG_WINDOW });
    await store.tasks.write(() => store.tasks.create(newTask(), FILED), grouped);
    await expect(
      store.tasks.write(async () => {
        await store.tasks.create(newTask({ dedupeKey: "b" }), FILED);
        throw new Error("refused");
      }, grouped),
    ).rejects.toThrow("refused");

    await store.tasks.write(() => store.tasks.create(newTask(), FILED));
    expect(reader.count("tasks")).toBe(2);
    expect(await store.tasks.findByDedupeKey("contract", "b")).toBeUndefined();
  });

  it("a write committed at once commits the open group with it", async () => {
    const { sync, store, reader } = open({ grouping: LONG_WINDOW });
    await store.tasks.write(() => store.tasks.create(newTask(), FILED), grouped);
    expect(reader.count("tasks")).toBe(0);

    await store.tasks.write(() => store.tasks.create(newTask(), FILED));

    expect(groupOpen(sync)).toBe(false);
    expect(reader.count("tasks")).toBe(2);
  });

  it("a write committed at once fails when the group it joined fails to commit", async () => {
    const { sync, store } = open({ grouping: LONG_WINDOW });
    // A deferred foreign key is checked at COMMIT: a real commit failure.
    sync.database.sqlite.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TABLE child (parent_id INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)`);
    const orphan = sync.database.sqlite.prepare("INSERT INTO child (parent_id) VALUES (42)");
    await store.tasks.write(async () => orphan.run(), grouped);

    await expect(
      store.tasks.write(() => store.tasks.create(newTask({ dedupeKey: "lost" }), FILED)),
    ).rejects.toThrow(/FOREIGN KEY/);

    expect(sync.database.sqlite.inTransaction).toBe(false);
    expect(await store.tasks.findByDedupeKey("contract", "lost")).toBeUndefined();
  });

  it("the stores' own writes inside a grouped write neither commit it nor the group", async () => {
    const { sync, store, reader } = open({ grouping: LONG_WINDOW });
    await store.tasks.write(() => store.tasks.create(newTask(), FILED), grouped);
    const failing = store.tasks.write(async () => {
      await store.tasks.create(newTask(), FILED);
      await store.queue.claim("content", "w", 1, "me", 60_000);
      // The synchronous store called directly, as the engine's synchronous code would be.
      sync.tasks.write(() => sync.tasks.create(newTask(), FILED));
      sync.tasks.write(() => sync.tasks.create(newTask(), FILED), grouped);
      await otherTurns();
      expect(reader.count("tasks")).toBe(0);
      expect(groupOpen(sync)).toBe(true);
      throw new Error("undo it all");
    }, grouped);

    await expect(failing).rejects.toThrow("undo it all");
    await store.tasks.write(async () => undefined);
    expect(reader.count("tasks")).toBe(1);
    expect(reader.count("attempts")).toBe(0);
  });

  it("a synchronous write after an async one, outside it, is the synchronous store's again", async () => {
    const { sync, store, reader } = open({ grouping: LONG_WINDOW });
    await store.tasks.write(() => store.tasks.create(newTask(), FILED), grouped);
    sync.tasks.write(() => sync.tasks.create(newTask(), FILED));
    expect(groupOpen(sync)).toBe(false);
    expect(reader.count("tasks")).toBe(2);
  });
});
