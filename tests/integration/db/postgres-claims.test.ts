import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/core/clock.js";
import { openPostgresStore } from "../../../src/db/pg/store.js";
import type { Store } from "../../../src/db/store.js";
import { FILED, newTask } from "../../contract/harness.js";
import { postgresDatabase } from "../../postgres.js";

const opened: Store<"async">[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

/** A store of its own: a pool of its own, as another process would have. */
async function processStore(url: string, clock: ManualClock): Promise<Store<"async">> {
  const store = await openPostgresStore(url, clock, { max: 4 });
  opened.push(store);
  return store;
}

/** Claims a few at a time until a claim comes back empty; the ids it got. */
async function drain(store: Store<"async">, owner: string): Promise<number[]> {
  const got: number[] = [];
  for (;;) {
    const claimed = await store.queue.claim("content", "writer", 3, owner, 60_000);
    if (claimed.length === 0) return got;
    got.push(...claimed.map(({ task }) => task.id));
  }
}

describe("claims on PostgreSQL, from several processes at once", () => {
  it("never give one task to two claimers: 200 queued tasks, two pools racing", async () => {
    const url = await postgresDatabase();
    const clock = new ManualClock(10_000);
    const [a, b] = [await processStore(url, clock), await processStore(url, clock)];
    const filed: number[] = [];
    for (let i = 0; i < 200; i++) {
      filed.push((await a.tasks.create(newTask({ priority: i % 3 }), FILED)).id);
    }

    const claims = await Promise.all([
      drain(a, "a1"),
      drain(a, "a2"),
      drain(a, "a3"),
      drain(b, "b1"),
      drain(b, "b2"),
      drain(b, "b3"),
    ]);

    const all = claims.flat();
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort((x, y) => x - y)).toEqual(filed);
    // Both processes took part: the race was a race.
    expect(claims.slice(0, 3).flat().length).toBeGreaterThan(0);
    expect(claims.slice(3).flat().length).toBeGreaterThan(0);
    for (const id of [filed[0]!, filed[199]!]) {
      expect(await a.queue.attemptsOf(id)).toHaveLength(1);
      expect((await a.tasks.events(id)).map((event) => event.to)).toEqual(["queued", "running"]);
    }
  });

  it("take the due tasks of their category, highest priority first, then oldest", async () => {
    const url = await postgresDatabase();
    const clock = new ManualClock(10_000);
    const store = await processStore(url, clock);
    const queued = async (
      objective: string,
      priority: number,
      nextRunAt: number,
      category = "content",
    ) =>
      (await store.tasks.create(newTask({ objective, priority, nextRunAt, category }), FILED)).id;
    const lowOld = await queued("low, old", 0, 1_000);
    const highNew = await queued("high, new", 5, 9_000);
    const highOld = await queued("high, old", 5, 2_000);
    const middle = await queued("middle", 2, 3_000);
    await queued("high but not due yet", 9, 20_000);
    await queued("another category", 9, 1_000, "support");

    const claimed = await store.queue.claim("content", "writer", 3, "me", 60_000);
    expect(claimed.map(({ task }) => task.id)).toEqual([highOld, highNew, middle]);
    expect(claimed[0]!.task).toMatchObject({
      state: "running",
      attempts: 1,
      leaseOwner: "me",
      leaseExpiresAt: 70_000,
    });
    for (const { task } of claimed) expect(task).toStrictEqual(await store.tasks.require(task.id));
    const rest = await store.queue.claim("content", "writer", 5, "me", 60_000);
    expect(rest.map(({ task }) => task.id)).toEqual([lowOld]);
  });

  it("requeue an expired lease with its attempt abandoned and one more attempt allowed", async () => {
    const url = await postgresDatabase();
    const clock = new ManualClock(10_000);
    const [a, b] = [await processStore(url, clock), await processStore(url, clock)];
    const task = await a.tasks.create(newTask({ maxAttempts: 3 }), FILED);
    const [claim] = await a.queue.claim("content", "writer", 1, "a", 60_000);

    clock.advance(30_000);
    expect(await b.queue.recoverLeases({ everyLease: false, reason: "lease expired" })).toEqual([]);
    clock.advance(31_000);
    const recovered = await Promise.all([
      a.queue.recoverLeases({ everyLease: false, reason: "lease expired" }),
      b.queue.recoverLeases({ everyLease: false, reason: "lease expired" }),
    ]);

    // Recovered once, by whichever process got there first.
    expect(recovered.flat().map((moved) => moved.id)).toEqual([task.id]);
    expect(await a.tasks.require(task.id)).toMatchObject({
      state: "queued",
      maxAttempts: 4,
      leaseOwner: null,
      leaseExpiresAt: null,
      nextRunAt: 71_000,
    });
    expect(await a.queue.attemptsOf(task.id)).toEqual([
      expect.objectContaining({ id: claim!.attemptId, outcome: "abandoned", endedAt: 71_000 }),
    ]);
  });
});
