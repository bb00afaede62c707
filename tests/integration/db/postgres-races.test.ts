import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/core/clock.js";
import type { Task } from "../../../src/core/task.js";
import { openPostgresStore } from "../../../src/db/pg/store.js";
import type { Store } from "../../../src/db/store.js";
import type { StageRequest } from "../../../src/escalation/store.js";
import { FILED, newTask } from "../../contract/harness.js";
import { postgresDatabase } from "../../postgres.js";

const opened: Store<"async">[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

/** Stores on one database, each with a pool of its own, as processes would have. */
async function processes(count: number, clock: ManualClock): Promise<Store<"async">[]> {
  const url = await postgresDatabase();
  for (let i = 0; i < count; i++) opened.push(await openPostgresStore(url, clock, { max: 2 }));
  return [...opened];
}

const request: StageRequest = {
  rootCause: "writer:rate_limited",
  failureClass: "rate_limited",
  category: "content",
  worker: "writer",
  summary: (count) => `${count} tasks hit the rate limit`,
  urgent: false,
  postAfter: 60_000,
  reason: "rate limited",
};

describe("what one process at a time must do, on PostgreSQL", () => {
  it("an incident seen by four processes at once is opened once", async () => {
    const stores = await processes(4, new ManualClock(1_000));
    const results = await Promise.all(
      stores.map((store) => store.queue.openIncident("writer", "503 from the API", 60_000)),
    );
    expect(results.filter((result) => result.opened)).toHaveLength(1);
    expect(new Set(results.map((result) => result.incident.id)).size).toBe(1);
    expect(await stores[0]!.queue.openIncidents()).toHaveLength(1);
  });

  it("one root cause staged by four processes at once makes one group of all their tasks", async () => {
    const clock = new ManualClock(1_000);
    const stores = await processes(4, clock);
    const tasks: Task[] = [];
    for (const store of stores) tasks.push(await store.tasks.create(newTask(), FILED));
    const groups = await Promise.all(
      stores.map((store, i) =>
        store.tasks.write(() => store.escalations.stage(tasks[i]!.id, request, clock.now())),
      ),
    );
    expect(new Set(groups.map((group) => group.id)).size).toBe(1);
    const members = await stores[0]!.escalations.tasksOf(groups[0]!.id);
    expect(members.map((member) => member.task.id)).toEqual(tasks.map((task) => task.id));
    expect((await stores[0]!.escalations.get(groups[0]!.id))?.summary).toBe(
      "4 tasks hit the rate limit",
    );
  });

  it("a lease's renewal neither waits for a row another write holds nor drops its lease", async () => {
    // The owner's pass moves several of its leased rows in one transaction, in its own order: a
    // heartbeat that waited on one of them while holding another could deadlock with it.
    const clock = new ManualClock(1_000);
    const [store] = await processes(1, clock);
    const lease = 60_000;
    await store!.tasks.create(newTask(), FILED);
    await store!.tasks.create(newTask(), FILED);
    const [busy, free] = (await store!.queue.claim("content", "writer", 2, "me", lease)).map(
      ({ task }) => task.id,
    );
    const claimedUntil = clock.now() + lease;
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let locked = () => {};
    const holding = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const writing = store!.tasks.write(async () => {
      await store!.tasks.update(busy!, { feedback: ["being written"] });
      locked();
      await gate;
    });
    await holding;
    clock.advance(10_000);

    const answer = await Promise.race([
      store!.queue.renewLeases([busy!, free!], "me", lease),
      sleep(2_000, "it waited for the write"),
    ]);
    open();
    await writing;

    expect(Array.isArray(answer) ? [...answer].sort((a, b) => a - b) : answer).toEqual([
      busy,
      free,
    ]);
    expect((await store!.tasks.require(free!)).leaseExpiresAt).toBe(clock.now() + lease);
    expect((await store!.tasks.require(busy!)).leaseExpiresAt).toBe(claimedUntil);
    expect(await store!.queue.renewLeases([busy!, free!], "me", lease)).toHaveLength(2);
    expect((await store!.tasks.require(busy!)).leaseExpiresAt).toBe(clock.now() + lease);
  });
});
