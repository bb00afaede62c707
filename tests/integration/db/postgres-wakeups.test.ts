import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/core/clock.js";
import { openPostgresStore } from "../../../src/db/pg/store.js";
import { Wakeups } from "../../../src/db/pg/wakeups.js";
import type { Store } from "../../../src/db/store.js";
import { FILED, newTask } from "../../contract/harness.js";
import { postgresDatabase } from "../../postgres.js";

let url: string;
let store: Store<"async">;
let admin: pg.Client;
beforeAll(async () => {
  url = await postgresDatabase();
  store = await openPostgresStore(url, new ManualClock(1_000));
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
});
afterAll(async () => {
  await store.close();
  await admin.end();
});

const started: Wakeups[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((wakeups) => wakeups.close()));
});

/** A listener recording what it is told, in order. */
async function listening() {
  const told: string[] = [];
  const wakeups = new Wakeups(
    url,
    { onWork: (category) => told.push(`work ${category}`), onResync: () => told.push("resync") },
    { everyMs: 200 },
  );
  started.push(wakeups);
  await wakeups.start();
  return told;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, ms: number, what: string) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not in ${ms} ms`);
    await pause(20);
  }
}

/** The server process of the listener's connection: the one whose last query was LISTEN or its check. */
async function listenerPid(): Promise<number> {
  const { rows } = await admin.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()
        AND (query = 'SELECT 1' OR query LIKE 'LISTEN%')`,
  );
  if (rows.length !== 1) throw new Error(`expected one listener, found ${rows.length}`);
  return rows[0]!.pid;
}

describe("wake-ups on PostgreSQL", () => {
  it("a task queued is announced by its category when its write commits, not before", async () => {
    const told = await listening();
    let queuedBeforeCommit: string[] = [];
    await store.tasks.write(async () => {
      await store.tasks.create(newTask({ category: "research" }), FILED);
      await pause(300);
      queuedBeforeCommit = [...told];
    });
    await until(() => told.length > 0, 5_000, "the notice");

    expect(queuedBeforeCommit).toEqual([]);
    expect(told).toEqual(["work research"]);
  });

  it("a write that queued a task and rolled back announces nothing", async () => {
    const told = await listening();
    await expect(
      store.tasks.write(async () => {
        await store.tasks.create(newTask({ category: "research" }), FILED);
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    await store.tasks.create(newTask({ category: "content" }), FILED);
    await until(() => told.length > 0, 5_000, "the committed notice");
    await pause(200);

    expect(told).toEqual(["work content"]);
  });

  it("a task moved into the queue is announced; one still waiting for clarification is not", async () => {
    const told = await listening();
    const waiting = await store.tasks.create(
      newTask({ state: "needs_clarification", category: "design" }),
      FILED,
    );
    await pause(200);
    expect(told).toEqual([]);

    await store.tasks.transition(waiting.id, "queued", { actor: "founder", reason: "answered" });
    await until(() => told.length > 0, 5_000, "the notice");
    expect(told).toEqual(["work design"]);
  });

  it("after its connection is terminated, the listener reconnects, reports a resync and hears again", async () => {
    const told = await listening();
    const cut = Date.now();
    await admin.query("SELECT pg_terminate_backend($1)", [await listenerPid()]);
    await until(() => told.includes("resync"), 10_000, "the resync");
    console.log(`listener terminated: listening again (resync) in ${Date.now() - cut} ms`);

    await store.tasks.create(newTask({ category: "content" }), FILED);
    await until(() => told.length > 1, 5_000, "a notice after the resync");
    expect(told).toEqual(["resync", "work content"]);
  });
});
