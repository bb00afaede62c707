import { describe, expect, it } from "vitest";
import { type OutboxMessage, PARKED } from "../../src/core/outbox.js";
import { freshStore, type OpenStore } from "./harness.js";

const done = (taskId: number): OutboxMessage => ({
  kind: "task_done",
  taskId,
  destination: { kind: "reply" },
});
const report = (month: string): OutboxMessage => ({ kind: "review_report", month });
const output = (taskId: number): OutboxMessage => ({
  kind: "deliver_output",
  taskId,
  destination: { kind: "file", path: `out/${taskId}.md` },
});

/**
 * The outbox: idempotent adds, due messages oldest first, deliveries and retries, claims, and
 * what is still to deliver.
 */
export function outboxContract(open: OpenStore): void {
  describe("outbox", () => {
    const opened = freshStore(open);

    it("add is idempotent by key: the second add of a key returns false and keeps the first", async () => {
      const { store, clock } = opened();
      expect(await store.outbox.add(report("2026-01"), "report:2026-01")).toBe(true);
      const queuedAt = clock.now();
      clock.advance(1_000);
      expect(await store.outbox.add(report("2026-02"), "report:2026-01")).toBe(false);

      expect(await store.outbox.pending(10)).toEqual([
        {
          id: expect.any(Number),
          key: "report:2026-01",
          message: report("2026-01"),
          attempts: 0,
          createdAt: queuedAt,
        },
      ]);
    });

    it("pending returns due messages oldest first, up to the limit, of the kinds asked", async () => {
      const { store } = opened();
      await store.outbox.add(report("2026-01"), "a");
      await store.outbox.add(done(1), "b");
      await store.outbox.add(report("2026-02"), "c");
      await store.outbox.add(done(2), "d");

      const keys = async (limit: number, kinds?: OutboxMessage["kind"][]) =>
        (await store.outbox.pending(limit, kinds)).map(({ key }) => key);
      expect(await keys(10)).toEqual(["a", "b", "c", "d"]);
      expect(await keys(2)).toEqual(["a", "b"]);
      expect(await keys(10, ["task_done"])).toEqual(["b", "d"]);
      expect(await keys(10, ["task_done", "review_report"])).toEqual(["a", "b", "c", "d"]);
      expect((await store.outbox.pending(10, ["task_done"]))[1]?.message).toEqual(done(2));
    });

    it("a message is not pending before its deliverAfter", async () => {
      const { store, clock } = opened();
      await store.outbox.add(report("2026-01"), "later", clock.now() + 5_000);
      await store.outbox.add(report("2026-02"), "now", clock.now());

      expect((await store.outbox.pending(10)).map(({ key }) => key)).toEqual(["now"]);
      clock.advance(5_000);
      expect((await store.outbox.pending(10)).map(({ key }) => key)).toEqual(["later", "now"]);
    });

    it("markDelivered takes a message out of pending", async () => {
      const { store } = opened();
      await store.outbox.add(report("2026-01"), "a");
      await store.outbox.add(report("2026-02"), "b");
      const [first] = await store.outbox.pending(10);

      await store.outbox.markDelivered(first!.id);

      expect((await store.outbox.pending(10)).map(({ key }) => key)).toEqual(["b"]);
    });

    it("markFailed counts an attempt and holds the message back until retryAt", async () => {
      const { store, clock } = opened();
      await store.outbox.add(report("2026-01"), "a");
      const [message] = await store.outbox.pending(10);

      await store.outbox.markFailed(message!.id, "503 from Discord", clock.now() + 5_000);

      expect(await store.outbox.pending(10)).toEqual([]);
      clock.advance(4_999);
      expect(await store.outbox.pending(10)).toEqual([]);
      clock.advance(1);
      expect(await store.outbox.pending(10)).toEqual([{ ...message!, attempts: 1 }]);
      await store.outbox.markFailed(message!.id, "503 again", clock.now());
      expect((await store.outbox.pending(10))[0]?.attempts).toBe(2);
    });

    it("claim takes due messages oldest first, up to the limit, of the kinds asked", async () => {
      const { store, clock } = opened();
      await store.outbox.add(report("2026-01"), "a");
      await store.outbox.add(done(1), "b");
      await store.outbox.add(done(2), "c");
      await store.outbox.add(done(3), "later", clock.now() + 5_000);

      const claimed = await store.outbox.claim(2, 30_000, ["task_done"]);
      expect(claimed).toEqual([
        { id: expect.any(Number), key: "b", message: done(1), attempts: 0, createdAt: clock.now() },
        { id: expect.any(Number), key: "c", message: done(2), attempts: 0, createdAt: clock.now() },
      ]);
    });

    it("a claimed message is neither claimed again nor pending until its lease ends", async () => {
      const { store, clock } = opened();
      await store.outbox.add(report("2026-01"), "a");
      await store.outbox.add(report("2026-02"), "b");
      const keys = (messages: { key: string }[]) => messages.map(({ key }) => key);

      expect(keys(await store.outbox.claim(1, 30_000))).toEqual(["a"]);
      expect(keys(await store.outbox.claim(10, 30_000))).toEqual(["b"]);
      expect(await store.outbox.claim(10, 30_000)).toEqual([]);
      expect(await store.outbox.pending(10)).toEqual([]);

      // The deliverer died: its lease ends and the messages go to another.
      clock.advance(30_000);
      expect(keys(await store.outbox.pending(10))).toEqual(["a", "b"]);
      expect(keys(await store.outbox.claim(10, 30_000))).toEqual(["a", "b"]);
    });

    it("a claimed message marked delivered is done; one marked failed is claimable at its retry", async () => {
      const { store, clock } = opened();
      await store.outbox.add(report("2026-01"), "a");
      await store.outbox.add(report("2026-02"), "b");
      const [first, second] = await store.outbox.claim(10, 60_000);

      await store.outbox.markDelivered(first!.id);
      await store.outbox.markFailed(second!.id, "503 from Discord", clock.now() + 5_000);
      clock.advance(5_000);

      expect(await store.outbox.claim(10, 60_000)).toEqual([{ ...second!, attempts: 1 }]);
    });

    it("undelivered lists the kinds asked still to deliver, oldest first, with their last error", async () => {
      const { store, clock } = opened();
      await store.outbox.add(output(1), "due");
      await store.outbox.add(done(1), "other kind");
      await store.outbox.add(output(2), "delivered");
      await store.outbox.add(output(3), "retrying");
      await store.outbox.add(output(4), "parked");
      await store.outbox.add(output(5), "claimed");
      await store.outbox.add(output(6), "later", clock.now() + 5_000);
      const ids = new Map((await store.outbox.pending(10)).map(({ id, key }) => [key, id]));
      await store.outbox.markDelivered(ids.get("delivered")!);
      await store.outbox.markFailed(ids.get("retrying")!, "disk full", clock.now() + 5_000);
      await store.outbox.markFailed(ids.get("parked")!, "no such directory", PARKED);
      await store.outbox.claim(1, 30_000, ["deliver_output"]);
      expect((await store.outbox.claim(1, 30_000, ["deliver_output"]))[0]?.key).toBe("claimed");

      expect(await store.outbox.undelivered(["deliver_output"])).toEqual([
        { message: output(1), lastError: null },
        { message: output(3), lastError: "disk full" },
        { message: output(5), lastError: null },
        { message: output(6), lastError: null },
      ]);
      expect(await store.outbox.undelivered(["deliver_output", "task_done"])).toHaveLength(5);
      expect(await store.outbox.undelivered([])).toEqual([]);
    });

    it("backlog counts the messages not delivered, of every kind, parked ones included", async () => {
      const { store, clock } = opened();
      expect(await store.outbox.backlog()).toBe(0);
      await store.outbox.add(report("2026-01"), "a");
      await store.outbox.add(done(1), "b");
      await store.outbox.add(done(2), "c", clock.now() + 5_000);
      await store.outbox.add(done(3), "d");
      const [first, second] = await store.outbox.pending(10);

      await store.outbox.markDelivered(first!.id);
      await store.outbox.markFailed(second!.id, "unknown channel", PARKED);

      expect(await store.outbox.backlog()).toBe(3);
    });
  });
}
