import { describe, expect, it } from "vitest";
import type { NewTask } from "../../src/core/ports.js";
import type { Store } from "../../src/db/store.js";
import { FILED, freshStore, newTask, type OpenStore } from "./harness.js";

const MOVED = { actor: "tester", reason: "moved" };

async function file(store: Store<"async">, overrides: Partial<NewTask> = {}): Promise<number> {
  return (await store.tasks.create(newTask(overrides), FILED)).id;
}

/** What the status displays read: open tasks, counts, who waits, what still moves. */
export function statusContract(open: OpenStore): void {
  describe("status reads", () => {
    const opened = freshStore(open);

    it("counts tasks by state and category; open ids newest first, finished ones left out", async () => {
      const { store } = opened();
      const queued = await file(store);
      const support = await file(store, { category: "support" });
      const cancelled = await file(store);
      await store.tasks.transition(cancelled, "cancelled", MOVED);
      const escalated = await file(store, { state: "escalated" });

      expect(await store.status.counts()).toEqual([
        { state: "cancelled", category: "content", count: 1 },
        { state: "escalated", category: "content", count: 1 },
        { state: "queued", category: "content", count: 1 },
        { state: "queued", category: "support", count: 1 },
      ]);
      expect(await store.status.openTaskIds()).toEqual([escalated, support, queued]);
      expect(await store.status.openTaskIds(2)).toEqual([escalated, support]);
    });

    it("openCounts counts undecided escalations and unresolved anomalies", async () => {
      const { store, clock } = opened();
      const task = await file(store, { state: "escalated" });
      await store.escalations.stage(
        task,
        {
          rootCause: "writer-down",
          failureClass: "systemic",
          category: "content",
          worker: "writer",
          summary: () => "writer down",
          urgent: false,
          postAfter: clock.now(),
          reason: "down",
        },
        clock.now(),
      );
      const finding = { rule: "stalled.threshold" as const, subject: "s", detail: "d" };
      const resolved = await store.monitor.insertAnomaly(finding, clock.now());
      await store.monitor.insertAnomaly({ ...finding, subject: "t" }, clock.now());
      await store.monitor.resolveAnomaly(resolved, clock.now());

      expect(await store.status.openCounts()).toEqual({ escalations: 1, anomalies: 1 });
    });

    it("waitingForDetails and inFlight list their tasks, the longest waiting first", async () => {
      const { store, clock } = opened();
      const asked = await file(store, { state: "needs_clarification" });
      clock.advance(1_000);
      const askedLater = await file(store, { state: "needs_clarification" });
      await file(store);
      const [claimed] = await store.queue.claim("content", "writer", 1, "pool", 60_000);

      const waiting = await store.status.waitingForDetails();
      expect(waiting.map(({ id }) => id)).toEqual([asked, askedLater]);
      expect(waiting[0]).toEqual(await store.tasks.get(asked));
      expect((await store.status.waitingForDetails(1)).map(({ id }) => id)).toEqual([asked]);
      expect(await store.status.inFlight()).toEqual([await store.tasks.get(claimed!.task.id)]);
    });

    it("moving: held, queued, and retry waits due by the horizon, by id", async () => {
      const { store, clock } = opened();
      const held = await file(store);
      await store.queue.claim("content", "writer", 1, "pool", 60_000);
      const queued = await file(store);
      const soon = await file(store);
      const late = await file(store);
      for (const [id, at] of [
        [soon, clock.now() + 1_000],
        [late, clock.now() + 10_000],
      ] as const) {
        await store.tasks.advance(id, [
          { to: "running", ...MOVED },
          { to: "retry_wait", ...MOVED, patch: { nextRunAt: at } },
        ]);
      }
      await file(store, { state: "escalated" });

      expect(await store.status.moving(clock.now() + 1_000)).toEqual([held, queued, soon]);
      expect(await store.status.moving(clock.now() + 10_000)).toEqual([held, queued, soon, late]);
    });
  });
}
