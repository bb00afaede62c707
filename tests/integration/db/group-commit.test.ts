import type Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import { openDatabase } from "../../../src/db/connection.js";
import { GroupCommit } from "../../../src/db/group-commit.js";
import { Engine } from "../../../src/engine/engine.js";
import { outsideReader, tempDir, testDatabase, testStore } from "../../helpers.js";

const REQUEST = {
  source: "webhook:helpdesk",
  requester: "customer",
  text: "Objective: Answer the refund request from a customer whose order arrived damaged\nDone when: the reply offers a refund",
};

function scratchTable(sqlite: Database.Database) {
  sqlite.exec("CREATE TABLE scratch (n INTEGER NOT NULL)");
  const insert = sqlite.prepare("INSERT INTO scratch (n) VALUES (?)");
  return (n: number) => insert.run(n);
}

describe("group commit", () => {
  it("commits grouped writes together once the window is over, and says so to waiters", async () => {
    const { store, sqlite, file } = testStore();
    const write = scratchTable(sqlite);
    const reader = outsideReader(file);
    try {
      for (let n = 1; n <= 3; n++) store.write(() => write(n), { commit: "grouped" });
      expect(sqlite.inTransaction).toBe(true);
      expect(reader.count("scratch")).toBe(0);
      let heard = false;
      store.afterCommit(() => {
        heard = true;
      });
      expect(heard).toBe(false);
      await store.committed();
      expect(heard).toBe(true);
      expect(sqlite.inTransaction).toBe(false);
      expect(reader.count("scratch")).toBe(3);
    } finally {
      reader.close();
    }
  });

  it("commits at once when the group is full", () => {
    const { sqlite, file } = testDatabase();
    const commits = new GroupCommit(sqlite, { windowMs: 60_000, maxUnits: 2 });
    const write = scratchTable(sqlite);
    const reader = outsideReader(file);
    try {
      commits.join();
      write(1);
      commits.unitEnded();
      expect(reader.count("scratch")).toBe(0);
      commits.join();
      write(2);
      commits.unitEnded();
      expect(sqlite.inTransaction).toBe(false);
      expect(reader.count("scratch")).toBe(2);
    } finally {
      reader.close();
    }
  });

  it("a durable transaction commits the open group with it", () => {
    const { store, sqlite, file } = testStore();
    const write = scratchTable(sqlite);
    const reader = outsideReader(file);
    try {
      store.write(() => write(1), { commit: "grouped" });
      store.write(() => write(2));
      expect(sqlite.inTransaction).toBe(false);
      expect(reader.count("scratch")).toBe(2);
    } finally {
      reader.close();
    }
  });

  it("afterCommit inside a write committed at once hears after its commit, or its error", () => {
    const { store, sqlite, file } = testStore();
    const write = scratchTable(sqlite);
    const reader = outsideReader(file);
    const heard: string[] = [];
    try {
      store.write(() => {
        write(1);
        store.afterCommit((error) =>
          heard.push(`${error?.message ?? "ok"} ${reader.count("scratch")}`),
        );
        expect(heard).toEqual([]);
      });
      expect(() =>
        store.write(() => {
          write(2);
          store.afterCommit((error) => heard.push(`${error?.message ?? "ok"}`));
          throw new Error("undone");
        }),
      ).toThrow("undone");
      expect(heard).toEqual(["ok 1", "undone"]);
    } finally {
      reader.close();
    }
  });

  it("a unit that throws undoes only itself; the rest of its group commits", async () => {
    const { store, sqlite, file } = testStore();
    const write = scratchTable(sqlite);
    const reader = outsideReader(file);
    try {
      store.write(() => write(1), { commit: "grouped" });
      expect(() =>
        store.write(
          () => {
            write(2);
            throw new Error("refused half-way");
          },
          { commit: "grouped" },
        ),
      ).toThrow("refused half-way");
      store.write(() => write(3), { commit: "grouped" });
      await store.committed();
      const rows = sqlite.prepare("SELECT n FROM scratch ORDER BY n").pluck().all();
      expect(rows).toEqual([1, 3]);
      expect(reader.count("scratch")).toBe(2);
    } finally {
      reader.close();
    }
  });

  it("a group that fails to commit is rolled back and its waiters are told", async () => {
    const { store, sqlite } = testStore();
    // A deferred foreign key is checked at COMMIT: a real commit failure.
    sqlite.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TABLE child (parent_id INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)`);
    const write = scratchTable(sqlite);
    store.write(() => write(1), { commit: "grouped" });
    store.write(() => sqlite.prepare("INSERT INTO child (parent_id) VALUES (42)").run(), {
      commit: "grouped",
    });
    let told: Error | undefined;
    store.afterCommit((error) => {
      told = error;
    });
    await expect(store.committed()).rejects.toThrow(/FOREIGN KEY/);
    expect(told?.message).toMatch(/FOREIGN KEY/);
    expect(sqlite.inTransaction).toBe(false);
    expect(sqlite.prepare("SELECT count(*) FROM scratch").pluck().get()).toBe(0);
    // The next group starts clean.
    store.write(() => write(2), { commit: "grouped" });
    await store.committed();
    expect(sqlite.prepare("SELECT n FROM scratch").pluck().all()).toEqual([2]);
  });

  it("a unit without a savepoint that throws rolls the whole group back; its waiters are told", async () => {
    const { store, sqlite } = testStore();
    const write = scratchTable(sqlite);
    store.write(() => write(1), { commit: "grouped" });
    const waiting = store.committed();
    expect(() =>
      store.write(
        () => {
          write(2);
          throw new Error("half-way");
        },
        { commit: "grouped", undo: "all" },
      ),
    ).toThrow("half-way");
    await expect(waiting).rejects.toThrow("half-way");
    expect(sqlite.inTransaction).toBe(false);
    expect(sqlite.prepare("SELECT count(*) FROM scratch").pluck().get()).toBe(0);
    // One that does not throw stays in the group, and the next group starts clean.
    store.write(() => write(3), { commit: "grouped", undo: "all" });
    expect(sqlite.inTransaction).toBe(true);
    await store.committed();
    expect(sqlite.prepare("SELECT n FROM scratch").pluck().all()).toEqual([3]);
  });

  it("a durable transaction that joined a group which fails to commit throws, its writes gone", () => {
    const { store, sqlite } = testStore();
    sqlite.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TABLE child (parent_id INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)`);
    const write = scratchTable(sqlite);
    store.write(() => sqlite.prepare("INSERT INTO child (parent_id) VALUES (42)").run(), {
      commit: "grouped",
    });
    expect(() => store.write(() => write(1))).toThrow(/FOREIGN KEY/);
    expect(sqlite.inTransaction).toBe(false);
    expect(sqlite.prepare("SELECT count(*) FROM scratch").pluck().get()).toBe(0);
  });

  it("closing the database commits the open group", () => {
    const file = `${tempDir()}/steward.db`;
    const database = openDatabase(file);
    const write = scratchTable(database.sqlite);
    database.commits.join();
    write(7);
    database.close();
    const reopened = outsideReader(file);
    try {
      expect(reopened.count("scratch")).toBe(1);
    } finally {
      reopened.close();
    }
  });

  it("a submitted task is committed when submit resolves, and listeners hear of it after", async () => {
    const database = testDatabase();
    const engine = new Engine({
      config: loadConfigFile("config/steward.yaml", {}),
      configDir: "config",
      database,
    });
    const reader = outsideReader(database.file);
    try {
      const heard: number[] = [];
      engine.onTaskChange((task) => heard.push(reader.count("tasks") >= task.id ? task.id : -1));
      const filing = engine.submit(REQUEST);
      expect(reader.count("tasks")).toBe(0);
      expect(heard).toEqual([]);
      const { task } = await filing;
      expect(reader.count("tasks")).toBe(1);
      expect(reader.count("task_events")).toBe(1);
      expect(heard).toEqual([task.id]);
    } finally {
      reader.close();
    }
  });
});
