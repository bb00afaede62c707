import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/core/clock.js";
import { isStewardError } from "../../../src/core/errors.js";
import { IllegalTransitionError } from "../../../src/core/states.js";
import { openPostgresStore } from "../../../src/db/pg/store.js";
import type { Store } from "../../../src/db/store.js";
import { FILED, newTask } from "../../contract/harness.js";
import { postgresDatabase } from "../../postgres.js";

let url: string;
let store: Store<"async">;
/** Another connection, as another process: it sees committed rows only. */
let outside: pg.Client;
const clock = new ManualClock(1_000);

beforeAll(async () => {
  url = await postgresDatabase();
  store = await openPostgresStore(url, clock);
  outside = new pg.Client({ connectionString: url });
  await outside.connect();
});
afterAll(async () => {
  await outside.end();
  await store.close();
});

async function committedCount(table: string, where = "true"): Promise<number> {
  const { rows } = await outside.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${table} WHERE ${where}`,
  );
  return Number(rows[0]!.n);
}

const failure = new Error("the work failed");

describe("writes on PostgreSQL", () => {
  it("a write that throws leaves nothing: no task, no event, no outbox message", async () => {
    const before = await committedCount("tasks");
    const write = store.tasks.write(async () => {
      const task = await store.tasks.create(newTask({ objective: "doomed" }), FILED);
      await store.tasks.transition(task.id, "cancelled", { actor: "tester", reason: "no" });
      await store.outbox.add({ kind: "task_escalated", taskId: task.id, reason: "x" }, "doomed");
      throw failure;
    });
    await expect(write).rejects.toBe(failure);
    expect(await committedCount("tasks")).toBe(before);
    expect(await committedCount("task_events", "reason = 'no'")).toBe(0);
    expect(await committedCount("outbox", "key = 'doomed'")).toBe(0);
  });

  it("the calls inside a write use its transaction: others see them only once it commits", async () => {
    let seenInside = -1;
    const task = await store.tasks.write(async () => {
      const created = await store.tasks.create(newTask({ objective: "together" }), FILED);
      await store.outbox.add(
        { kind: "task_escalated", taskId: created.id, reason: "x" },
        "together",
      );
      // The repository reads its own write; another connection does not see it yet.
      expect((await store.tasks.require(created.id)).objective).toBe("together");
      seenInside = await committedCount("tasks", `id = ${created.id}`);
      return created;
    });
    expect(seenInside).toBe(0);
    expect(await committedCount("tasks", `id = ${task.id}`)).toBe(1);
    expect(await committedCount("outbox", "key = 'together'")).toBe(1);
  });

  it("a nested write undoing its own work leaves the caller's; undo all fails the caller", async () => {
    const kept = await store.tasks.write(async () => {
      const outer = await store.tasks.create(newTask({ objective: "outer" }), FILED);
      await expect(
        store.tasks.write(async () => {
          await store.tasks.create(newTask({ objective: "inner, undone" }), FILED);
          throw failure;
        }),
      ).rejects.toBe(failure);
      return outer;
    });
    expect(await committedCount("tasks", `id = ${kept.id}`)).toBe(1);
    expect(await committedCount("tasks", "objective = 'inner, undone'")).toBe(0);

    // With undo "all" there is no savepoint: its failure is the caller's, and undoes it all.
    const together = store.tasks.write(async () => {
      await store.tasks.create(newTask({ objective: "outer, undone too" }), FILED);
      await store.tasks.write(
        async () => {
          await store.tasks.create(newTask({ objective: "inner, undone too" }), FILED);
          throw failure;
        },
        { undo: "all" },
      );
    });
    await expect(together).rejects.toBe(failure);
    expect(await committedCount("tasks", "objective LIKE '%undone too'")).toBe(0);
  });

  it("a write whose statement failed does not pass for committed, even if its work caught it", async () => {
    await store.tasks.create(newTask({ dedupeKey: "hook-1" }), FILED);
    const write = store.tasks.write(async () => {
      await store.tasks.create(newTask({ objective: "lost with it" }), FILED);
      // A second task with the same key breaks the unique index: the transaction is aborted.
      await store.tasks.create(newTask({ dedupeKey: "hook-1" }), FILED).catch(() => undefined);
    });
    await expect(write).rejects.toThrow(/rolled back/);
    expect(await committedCount("tasks", "objective = 'lost with it'")).toBe(0);
    // The connection went back to the pool in working order.
    expect((await store.tasks.create(newTask(), FILED)).state).toBe("queued");
  });

  it("a nested write undoing its own failed statement leaves the caller's work standing", async () => {
    await store.tasks.create(newTask({ dedupeKey: "hook-2" }), FILED);
    const outer = await store.tasks.write(async () => {
      const kept = await store.tasks.create(newTask({ objective: "kept" }), FILED);
      await store.tasks
        .write(() => store.tasks.create(newTask({ dedupeKey: "hook-2" }), FILED))
        .catch(() => undefined);
      return kept;
    });
    expect(await committedCount("tasks", `id = ${outer.id}`)).toBe(1);
  });

  it("nested writes side by side take turns: one undone leaves the other's work", async () => {
    const [kept] = await store.tasks.write(() =>
      Promise.all([
        store.tasks.write(async () => {
          const task = await store.tasks.create(newTask({ objective: "beside, kept" }), FILED);
          await new Promise((resolve) => setTimeout(resolve, 20));
          return task;
        }),
        store.tasks
          .write(async () => {
            await store.tasks.create(newTask({ objective: "beside, undone" }), FILED);
            throw failure;
          })
          .catch(() => undefined),
      ]),
    );
    expect(await committedCount("tasks", `id = ${kept.id}`)).toBe(1);
    expect(await committedCount("tasks", "objective = 'beside, undone'")).toBe(0);
  });

  it("a move from a row that moved on since is refused with task_moved and writes nothing", async () => {
    const task = await store.tasks.create(newTask(), FILED);
    await store.tasks.transition(task.id, "cancelled", { actor: "tester", reason: "cancel" });
    const move = store.tasks.advance(
      task.id,
      [{ to: "running", actor: "worker", reason: "stale claim" }],
      task,
    );
    await expect(move).rejects.toSatisfy((error) => isStewardError(error, "task_moved"));
    expect((await store.tasks.require(task.id)).state).toBe("cancelled");
    expect(await committedCount("task_events", "reason = 'stale claim'")).toBe(0);
  });

  it("an illegal move is refused before anything is written", async () => {
    const task = await store.tasks.create(newTask(), FILED);
    const move = store.tasks.transition(task.id, "done", { actor: "tester", reason: "skip" });
    await expect(move).rejects.toBeInstanceOf(IllegalTransitionError);
    expect((await store.tasks.events(task.id)).map((event) => event.to)).toEqual(["queued"]);
  });

  it("the outbox keeps one message per key", async () => {
    const message = { kind: "task_escalated", taskId: 1, reason: "x" } as const;
    expect(await store.outbox.add(message, "once")).toBe(true);
    expect(await store.outbox.add(message, "once")).toBe(false);
    expect(await committedCount("outbox", "key = 'once'")).toBe(1);
  });

  it("prepared statements store a missing jsonb value as NULL, a present one as itself", async () => {
    const task = await store.tasks.create(newTask({ category: "nulls" }), FILED);
    const [claim] = await store.queue.claim("nulls", "writer", 1, "me", 60_000);
    await store.queue.finishAttempt(claim!.attemptId, "succeeded");
    await store.tasks.advance(task.id, [
      { to: "reviewing", actor: "tester", reason: "output ready", patch: { outputMeta: null } },
      { to: "done", actor: "tester", reason: "passed", data: { rule: "checks" } },
    ]);
    const where = `task_id = ${task.id}`;
    expect(await committedCount("attempts", `${where} AND meta IS NULL`)).toBe(1);
    expect(
      await committedCount("task_events", `${where} AND "to" = 'reviewing' AND data IS NULL`),
    ).toBe(1);
    expect(await committedCount("task_events", `${where} AND data->>'rule' = 'checks'`)).toBe(1);
    expect(await committedCount("tasks", `id = ${task.id} AND output_meta IS NULL`)).toBe(1);
  });
});
