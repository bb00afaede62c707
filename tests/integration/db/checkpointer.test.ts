import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it, vi } from "vitest";
import { WalCheckpointer } from "../../../src/db/checkpointer.js";
import { openDatabase } from "../../../src/db/connection.js";
import { tempDir } from "../../helpers.js";

const PAGE = 4096;

/** A connection in WAL mode on a fresh file, with a table of page-sized rows. */
function walFile() {
  const file = join(tempDir(), "steward.db");
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.exec("CREATE TABLE pages (body BLOB NOT NULL)");
  const insert = sqlite.prepare("INSERT INTO pages (body) VALUES (?)");
  /** Commits `count` rows of about a page each, one transaction. */
  const write = sqlite.transaction((count: number) => {
    for (let i = 0; i < count; i++) insert.run(Buffer.alloc(PAGE - 200, i % 251));
  });
  return { file, sqlite, write };
}

const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);

describe("background checkpoints", () => {
  it("copy committed writes into the database file without the writer checkpointing", async () => {
    const { file, sqlite, write } = walFile();
    const errors: string[] = [];
    const checkpointer = new WalCheckpointer(
      file,
      sqlite,
      { everyMs: 20, fallbackPages: 10_000 },
      (message) => errors.push(message),
    );
    try {
      const before = size(file);
      // 600 pages: fewer than the fallback, so the writer leaves every page in the log.
      write(600);
      expect(size(file)).toBe(before);
      // In WAL mode only a checkpoint writes the database file.
      await vi.waitFor(() => expect(size(file)).toBeGreaterThan(before + 500 * PAGE), {
        timeout: 5_000,
      });
      expect(errors).toEqual([]);
    } finally {
      checkpointer.stop();
      sqlite.close();
    }
  });

  it("keeps the log bounded under steady writes", async () => {
    const { file, sqlite, write } = walFile();
    const checkpointer = new WalCheckpointer(
      file,
      sqlite,
      { everyMs: 5, fallbackPages: 200 },
      () => {},
    );
    // The thread's start-up takes tens of milliseconds of CPU: on a busy machine, longer than
    // the writes below. What is checked is the thread at work, so it has started first.
    await checkpointer.ready;
    try {
      // 4,000 pages written, 100 at a time: a log never started over would hold them all.
      for (let round = 0; round < 40; round++) {
        write(100);
        // Time for a few of the thread's turns: what is checked is that its checkpoints start
        // the log over, not how closely it keeps up with a writer that never pauses.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // Started over at least once: on a busy machine the thread runs late and the log grows past
      // the fallback's 200 pages before it starts over, but never to all 4,000.
      expect(size(`${file}-wal`)).toBeLessThan(2_000 * PAGE);
      expect((sqlite.prepare("SELECT count(*) AS n FROM pages").get() as { n: number }).n).toBe(
        4_000,
      );
    } finally {
      checkpointer.stop();
      sqlite.close();
    }
  });

  it("say when the thread has started, and when it failed to", async () => {
    const { file, sqlite } = walFile();
    const started = new WalCheckpointer(
      file,
      sqlite,
      { everyMs: 20, fallbackPages: 200 },
      () => {},
    );
    await started.ready;
    started.stop();
    sqlite.close();

    // The thread cannot open a file that is not there: start-up goes on, the error is told.
    const errors: string[] = [];
    const missing = join(tempDir(), "gone.db");
    const failed = new WalCheckpointer(
      missing,
      new Database(":memory:"),
      { everyMs: 20, fallbackPages: 200 },
      (message) => errors.push(message),
    );
    await failed.ready;
    expect(errors.join()).toMatch(/not exist|unable to open/i);
    failed.stop();
  });

  it("are opt-in for openDatabase, and end with the connection", async () => {
    const file = join(tempDir(), "steward.db");
    const database = openDatabase(file, { backgroundCheckpoints: { onError: () => {} } });
    await database.ready;
    expect(database.sqlite.pragma("wal_autocheckpoint", { simple: true })).toBe(8192);
    database.sqlite.exec("CREATE TABLE scratch (n INTEGER)");
    database.close();
    // The thread's connection is the last one: closing it checkpoints and removes the log.
    await vi.waitFor(() => expect(existsSync(`${file}-wal`)).toBe(false), { timeout: 5_000 });
    const commandDatabase = openDatabase(file);
    await commandDatabase.ready;
    expect(commandDatabase.sqlite.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    commandDatabase.close();
  });
});
