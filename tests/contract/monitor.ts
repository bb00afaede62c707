import { describe, expect, it } from "vitest";
import type { NewTask } from "../../src/core/ports.js";
import type { Store } from "../../src/db/store.js";
import type { Finding } from "../../src/monitor/rules.js";
import { FILED, freshStore, newTask, type OpenStore } from "./harness.js";

const MOVED = { actor: "tester", reason: "moved" };

async function file(store: Store<"async">, overrides: Partial<NewTask> = {}): Promise<number> {
  return (await store.tasks.create(newTask(overrides), FILED)).id;
}

/** A task taken through a run to done, with what `patch` says of it when done. */
async function done(store: Store<"async">, category = "content", patch = {}): Promise<number> {
  const id = await file(store, { category });
  await store.tasks.advance(id, [
    { to: "running", ...MOVED },
    { to: "reviewing", ...MOVED },
    { to: "done", ...MOVED, patch },
  ]);
  return id;
}

const finding = (taskId: number, rule: Finding["rule"] = "stalled.threshold"): Finding => ({
  rule,
  subject: `task:${taskId}`,
  detail: `T-${taskId} has been queued too long`,
  taskId,
});

/** The status checker's reads and its anomalies: what each read finds, bounded and in order. */
export function monitorContract(open: OpenStore): void {
  describe("monitor", () => {
    const opened = freshStore(open);

    it("stalled: tasks of a state and category that entered it before the time, oldest first", async () => {
      const { store, clock } = opened();
      const old = await file(store);
      clock.advance(1_000);
      const newer = await file(store);
      await file(store, { category: "support" });
      const running = await file(store);
      await store.tasks.transition(running, "running", MOVED);
      clock.advance(1_000);
      await file(store);

      const problems: string[] = [];
      const read = await store.monitor.stalled("queued", "content", clock.now(), problems);

      expect(read).toEqual({
        rows: [
          { id: old, category: "content", state: "queued", stateSince: clock.now() - 2_000 },
          { id: newer, category: "content", state: "queued", stateSince: clock.now() - 1_000 },
        ],
        complete: true,
      });
      expect(problems).toEqual([]);
    });

    it("retrying: escalated or retry-waiting tasks on their last attempt or past it", async () => {
      const { store, clock } = opened();
      const last = await file(store, { maxAttempts: 1 });
      await store.tasks.advance(last, [
        { to: "running", ...MOVED },
        { to: "retry_wait", ...MOVED },
      ]);
      clock.advance(1_000);
      const escalated = await file(store, { state: "escalated", maxAttempts: 1 });
      await file(store, { state: "escalated", maxAttempts: 3 });

      const read = await store.monitor.retrying([]);

      expect(read.rows.map(({ id, state }) => [id, state])).toEqual([
        [last, "retry_wait"],
        [escalated, "escalated"],
      ]);
      expect(read.rows[0]).toMatchObject({ attempts: 0, maxAttempts: 1, category: "content" });
    });

    it("undelivered and missingNext: done tasks never delivered, or with no next step", async () => {
      const { store, clock } = opened();
      const bare = await done(store);
      const delivered = await done(store, "content", { deliveredAt: clock.now() });
      await done(store, "content", { nextId: bare, deliveredAt: clock.now() });
      await done(store, "support");
      clock.advance(1_000);
      const late = await done(store);
      const before = clock.now();

      const undelivered = await store.monitor.undelivered(before, []);
      expect(undelivered.rows).toEqual([
        { id: bare, category: "content", doneAt: before - 1_000, nextId: null, deliveredAt: null },
        expect.objectContaining({ category: "support", nextId: null, deliveredAt: null }),
      ]);
      const missing = await store.monitor.missingNext("content", before, []);
      expect(missing.rows.map(({ id }) => id)).toEqual([bare, delivered]);
      expect(missing.rows[1]).toEqual({
        id: delivered,
        category: "content",
        doneAt: before - 1_000,
        nextId: null,
        deliveredAt: before - 1_000,
      });
      const later = await store.monitor.missingNext("content", before + 1, []);
      expect(later.rows.map(({ id }) => id)).toEqual([bare, delivered, late]);
    });

    it("unanswered: open escalations posted before the time; markReminded reminds once", async () => {
      const { store, clock } = opened();
      const task = await file(store, { state: "escalated" });
      const staged = await file(store, { state: "escalated" });
      const stage = (rootCause: string) => ({
        rootCause,
        failureClass: "logic",
        category: "content",
        worker: "writer",
        summary: () => rootCause,
        urgent: false,
        postAfter: clock.now(),
        reason: "failed",
      });
      const group = await store.escalations.stage(task, stage("a"), clock.now());
      await store.escalations.stage(staged, stage("b"), clock.now());
      await store.escalations.markPosted([group.id], clock.now());
      clock.advance(1_000);

      expect(await store.monitor.unanswered(clock.now(), [])).toEqual({
        rows: [{ id: group.id, postedAt: clock.now() - 1_000, remindedAt: null }],
        complete: true,
      });
      expect((await store.monitor.unanswered(clock.now() - 1_000, [])).rows).toEqual([]);

      expect(await store.monitor.markReminded(group.id, clock.now())).toBe(true);
      expect(await store.monitor.markReminded(group.id, clock.now())).toBe(false);
      expect((await store.monitor.unanswered(clock.now(), [])).rows).toEqual([
        { id: group.id, postedAt: clock.now() - 1_000, remindedAt: clock.now() },
      ]);
    });

    it("stays: completed stays in a state after an event, newest first, with how long each was", async () => {
      const { store, clock } = opened();
      const a = await file(store);
      clock.advance(3_000);
      await store.tasks.transition(a, "running", MOVED);
      const b = await file(store, { category: "support" });
      clock.advance(5_000);
      await store.tasks.transition(b, "running", MOVED);

      const problems: string[] = [];
      const all = await store.monitor.stays("queued", 0, 10, problems);
      expect(all.stays).toEqual([
        { category: "support", duration: 5_000 },
        { category: "content", duration: 3_000 },
      ]);
      expect(all.full).toBe(false);
      expect(problems).toEqual([]);

      const first = await store.monitor.stays("queued", 0, 1, []);
      expect(first).toEqual({
        stays: [{ category: "support", duration: 5_000 }],
        lastEventId: all.lastEventId,
        full: true,
      });
      const after = await store.monitor.stays("queued", all.lastEventId, 10, []);
      expect(after).toEqual({ stays: [], lastEventId: all.lastEventId, full: false });
    });

    it("anomalies: inserted open, listed oldest first, resolved once", async () => {
      const { store, clock } = opened();
      const task = await file(store);
      const first = await store.monitor.insertAnomaly(finding(task), clock.now());
      clock.advance(1_000);
      const second = await store.monitor.insertAnomaly(
        { rule: "escalation.unanswered", subject: "escalation:1", detail: "no answer" },
        clock.now(),
      );

      expect(await store.monitor.openAnomalies()).toEqual([
        {
          id: first,
          rule: "stalled.threshold",
          subject: `task:${task}`,
          detail: `T-${task} has been queued too long`,
          detectedAt: clock.now() - 1_000,
        },
        {
          id: second,
          rule: "escalation.unanswered",
          subject: "escalation:1",
          detail: "no answer",
          detectedAt: clock.now(),
        },
      ]);
      expect(await store.monitor.resolveAnomaly(first, clock.now())).toBe(true);
      expect(await store.monitor.resolveAnomaly(first, clock.now())).toBe(false);
      expect((await store.monitor.openAnomalies()).map(({ id }) => id)).toEqual([second]);
    });

    it("transaction: the checker's writes in it are stored together or not at all", async () => {
      const { store, clock } = opened();
      const task = await file(store);
      await expect(
        store.monitor.transaction(async () => {
          await store.monitor.insertAnomaly(finding(task), clock.now());
          throw new Error("the run failed");
        }),
      ).rejects.toThrow("the run failed");
      expect(await store.monitor.openAnomalies()).toEqual([]);

      const id = await store.monitor.transaction(() =>
        store.monitor.insertAnomaly(finding(task), clock.now()),
      );
      expect((await store.monitor.openAnomalies()).map((anomaly) => anomaly.id)).toEqual([id]);
    });
  });
}
