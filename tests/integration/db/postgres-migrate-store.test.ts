import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/core/clock.js";
import { EscalationStore } from "../../../src/db/escalation-store.js";
import { OutboxStore } from "../../../src/db/outbox-store.js";
import { openPostgresStore } from "../../../src/db/pg/store.js";
import { QueueStore } from "../../../src/db/queue-store.js";
import { ownSqliteFile } from "../../../src/db/sqlite-owner.js";
import { FILED, newTask } from "../../contract/harness.js";
import { tempDir, testStore } from "../../helpers.js";
import { postgresDatabase } from "../../postgres.js";

const run = promisify(execFile);

/** `steward migrate-store --from file --to url`, from the sources; its stdout. */
async function migrateStore(file: string, url: string): Promise<string> {
  const { stdout } = await run(process.execPath, [
    "bin/steward.js",
    "migrate-store",
    "--from",
    file,
    "--to",
    url,
  ]);
  return stdout;
}

/** A SQLite database with something in every table the store writes: tasks gone through claims, events, an escalation, messages. */
function busySqlite(clock: ManualClock) {
  const { store: tasks, file, close, db } = testStore(clock);
  const queue = new QueueStore(db, tasks, clock);
  const outbox = new OutboxStore(db, clock);
  const escalations = new EscalationStore(db);
  const ids: number[] = [];
  for (let i = 0; i < 30; i++) {
    ids.push(tasks.create(newTask({ objective: `task ${i}`, priority: i % 4 }), FILED).id);
    clock.advance(10);
  }
  const claimed = queue.claim("content", "writer", 10, "pool", 60_000);
  queue.finishAttempt(claimed[0]!.attemptId, "failed", { error: "boom", meta: { exit: 1 } });
  tasks.transition(claimed[0]!.task.id, "escalated", { actor: "system", reason: "failed" });
  escalations.stage(
    claimed[0]!.task.id,
    {
      rootCause: "writer:boom",
      failureClass: null,
      category: "content",
      worker: "writer",
      summary: (n) => `${n} failed`,
      urgent: true,
      postAfter: clock.now() + 1_000,
      reason: "failed",
    },
    clock.now(),
  );
  outbox.add({ kind: "task_escalated", taskId: claimed[0]!.task.id, reason: "failed" }, "esc-1");
  queue.openIncident("writer", "down", 60_000);
  return { tasks, queue, file, close, ids };
}

describe("steward migrate-store", () => {
  it("copies every table with its ids; new ids follow; counts printed; a second copy is refused", async () => {
    const clock = new ManualClock(1_000_000);
    const source = busySqlite(clock);
    const expected = source.ids.map((id) => source.tasks.require(id));
    const events = source.tasks.events(source.ids[0]!);
    const attempts = source.queue.attemptsOf(source.ids[0]!);
    source.close();
    const url = await postgresDatabase();

    const printed = await migrateStore(source.file, url);

    expect(printed).toMatch(/^tasks\s+30$/m);
    expect(printed).toMatch(/^task_events\s+41$/m);
    expect(printed).toMatch(/^attempts\s+10$/m);
    expect(printed).toMatch(/^escalation_tasks\s+1$/m);
    expect(printed).toMatch(/^outbox\s+1$/m);
    expect(printed).toContain(`OK ${source.file} copied to`);
    const store = await openPostgresStore(url, clock);
    try {
      for (const task of expected) expect(await store.tasks.require(task.id)).toEqual(task);
      expect(await store.tasks.events(source.ids[0]!)).toEqual(events);
      expect(await store.queue.attemptsOf(source.ids[0]!)).toEqual(attempts);
      expect((await store.escalations.open()).map((group) => group.urgent)).toEqual([true]);
      expect(await store.queue.openIncidents()).toHaveLength(1);
      const next = await store.tasks.create(newTask(), FILED);
      expect(next.id).toBe(Math.max(...source.ids) + 1);
    } finally {
      await store.close();
    }

    const again = migrateStore(source.file, url);
    await expect(again).rejects.toMatchObject({
      stderr: expect.stringContaining("already holds 31 tasks"),
    });
  });

  it("refuses a source file a running Steward serves, and copies it once that one has stopped", async () => {
    const clock = new ManualClock(1_000);
    const { file, close } = busySqlite(clock);
    close();
    const url = await postgresDatabase();
    const serving = ownSqliteFile(file);

    await expect(migrateStore(file, url)).rejects.toMatchObject({
      stderr: expect.stringContaining(`another Steward is running on ${file}`),
    });
    serving.release();
    expect(await migrateStore(file, url)).toMatch(/tasks/);
  });

  it("refuses a source file that is not there, and creates none", async () => {
    const missing = join(tempDir(), "stewrad.db");
    const url = await postgresDatabase();

    await expect(migrateStore(missing, url)).rejects.toMatchObject({
      stderr: expect.stringContaining(`no SQLite database at ${missing}`),
    });
    expect(existsSync(missing)).toBe(false);
  });
});
