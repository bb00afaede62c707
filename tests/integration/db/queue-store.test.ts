import { describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/core/clock.js";
import { QueueStore } from "../../../src/db/queue-store.js";
import { insertTask, testStore } from "../../helpers.js";

describe("claiming from the queue, against a real SQLite file", () => {
  it("takes the due tasks of its category, highest priority first, then oldest", () => {
    const { store, clock, ...database } = testStore(new ManualClock(10_000));
    const queue = new QueueStore(database.db, store, clock);
    const queued = (objective: string, priority: number, nextRunAt: number, category = "content") =>
      insertTask(database, { objective, priority, nextRunAt, category }).id;
    const lowOld = queued("low, old", 0, 1_000);
    const highNew = queued("high, new", 5, 9_000);
    const highOld = queued("high, old", 5, 2_000);
    const middle = queued("middle", 2, 3_000);
    queued("high but not due yet", 9, 20_000);
    queued("another category", 9, 1_000, "support");

    const claimed = queue.claim("content", "writer", 3, "me", 60_000);
    expect(claimed.map(({ task }) => task.id)).toEqual([highOld, highNew, middle]);
    expect(claimed.map(({ task }) => task.state)).toEqual(["running", "running", "running"]);
    expect(claimed[0]!.task).toMatchObject({
      attempts: 1,
      leaseOwner: "me",
      leaseExpiresAt: 70_000,
    });
    // Moved from the row the claim read, not read again: each must be its row as stored.
    for (const { task } of claimed) expect(task).toStrictEqual(store.require(task.id));

    const rest = queue.claim("content", "writer", 5, "me", 60_000);
    expect(rest.map(({ task }) => task.id)).toEqual([lowOld]);
    expect(queue.claim("content", "writer", 5, "me", 60_000)).toEqual([]);
    clock.advance(10_000);
    expect(
      queue.claim("content", "writer", 5, "me", 60_000).map(({ task }) => task.objective),
    ).toEqual(["high but not due yet"]);
  });
});
