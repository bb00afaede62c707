import { describe, expect, it } from "vitest";
import type { Store } from "../../src/db/store.js";
import type { StageRequest } from "../../src/escalation/store.js";
import { FILED, freshStore, newTask, type OpenStore } from "./harness.js";

const WINDOW = 60_000;

async function escalated(store: Store<"async">): Promise<number> {
  return (await store.tasks.create(newTask({ state: "escalated" }), FILED)).id;
}

function cause(rootCause: string, now: number, reason = "writer failed"): StageRequest {
  return {
    rootCause,
    failureClass: "systemic",
    category: "content",
    worker: "writer",
    summary: (count) => `${rootCause}: ${count} task(s)`,
    urgent: false,
    postAfter: now + WINDOW,
    reason,
  };
}

const byId = (a: number, b: number) => a - b;

/** Escalation groups: one per root cause, posted after their window, settled task by task. */
export function escalationContract(open: OpenStore): void {
  describe("escalations", () => {
    const opened = freshStore(open);

    it("stage puts tasks of one root cause in one staged group, another cause in another", async () => {
      const { store, clock } = opened();
      const now = clock.now();
      const [a, b, c] = [await escalated(store), await escalated(store), await escalated(store)];

      const first = await store.escalations.stage(a, cause("writer-down", now, "timeout"), now);
      clock.advance(1_000);
      const joined = await store.escalations.stage(
        b,
        cause("writer-down", clock.now(), "refused"),
        clock.now(),
      );
      const other = await store.escalations.stage(c, cause("bad-input", clock.now()), clock.now());

      expect(first).toMatchObject({
        state: "staged",
        rootCause: "writer-down",
        failureClass: "systemic",
        category: "content",
        worker: "writer",
        summary: "writer-down: 1 task(s)",
        urgent: false,
        createdAt: now,
        postAfter: now + WINDOW,
        postedAt: null,
        resolvedAt: null,
      });
      expect(joined).toEqual({ ...first, summary: "writer-down: 2 task(s)" });
      expect(await store.escalations.get(first.id)).toEqual(joined);
      expect(other.id).not.toBe(first.id);
      expect(other).toMatchObject({ state: "staged", rootCause: "bad-input" });

      const members = await store.escalations.tasksOf(first.id);
      expect(members.map(({ task, reason }) => [task.id, reason])).toEqual([
        [a, "timeout"],
        [b, "refused"],
      ]);
      expect(members[0]).toMatchObject({ resolvedAt: null, resolution: null });
      expect(members[0]!.task).toEqual(await store.tasks.get(a));
    });

    it("a group is due once its window is over, and no longer once posted", async () => {
      const { store, clock } = opened();
      const now = clock.now();
      const group = await store.escalations.stage(await escalated(store), cause("x", now), now);

      expect(await store.escalations.due(now + WINDOW - 1)).toEqual([]);
      expect((await store.escalations.due(now + WINDOW)).map(({ id }) => id)).toEqual([group.id]);

      await store.escalations.markPosted([group.id], now + WINDOW);
      expect(await store.escalations.due(now + WINDOW)).toEqual([]);
      expect(await store.escalations.get(group.id)).toMatchObject({
        state: "open",
        postedAt: now + WINDOW,
      });
    });

    it("a task of the same cause joins the group already posted, not a new one", async () => {
      const { store, clock } = opened();
      const now = clock.now();
      const group = await store.escalations.stage(await escalated(store), cause("x", now), now);
      await store.escalations.markPosted([group.id], now);

      const joined = await store.escalations.stage(await escalated(store), cause("x", now), now);

      expect(joined).toMatchObject({ id: group.id, state: "open" });
      expect(await store.escalations.tasksOf(group.id)).toHaveLength(2);
    });

    it("openGroupOf finds the group a task waits in, until its part is resolved", async () => {
      const { store, clock } = opened();
      const now = clock.now();
      const task = await escalated(store);
      const group = await store.escalations.stage(task, cause("x", now), now);

      expect((await store.escalations.openGroupOf(task))?.id).toBe(group.id);
      await store.escalations.resolveTask(group.id, task, "retried", now + 1_000);

      expect(await store.escalations.openGroupOf(task)).toBeUndefined();
      expect(await store.escalations.tasksOf(group.id)).toEqual([
        expect.objectContaining({ resolvedAt: now + 1_000, resolution: "retried" }),
      ]);
      expect(await store.escalations.openGroupOf(await escalated(store))).toBeUndefined();
    });

    it("resolveIfSettled resolves a group only once none of its tasks is waiting", async () => {
      const { store, clock } = opened();
      const now = clock.now();
      const [a, b] = [await escalated(store), await escalated(store)];
      const group = await store.escalations.stage(a, cause("x", now), now);
      await store.escalations.stage(b, cause("x", now), now);

      await store.escalations.resolveTask(group.id, a, "cancelled", now);
      expect(await store.escalations.resolveIfSettled(group.id, "done", "U1", now)).toBe(false);
      expect((await store.escalations.get(group.id))?.state).toBe("staged");

      await store.escalations.resolveTask(group.id, b, "retried", now);
      expect(await store.escalations.resolveIfSettled(group.id, "all handled", "U1", now)).toBe(
        true,
      );
      expect(await store.escalations.get(group.id)).toMatchObject({
        state: "resolved",
        resolvedAt: now,
        resolution: "all handled",
        resolvedBy: "U1",
      });
    });

    it("open lists staged and posted groups, not resolved ones; a resolved cause starts anew", async () => {
      const { store, clock } = opened();
      const now = clock.now();
      const staged = await store.escalations.stage(await escalated(store), cause("a", now), now);
      const posted = await store.escalations.stage(await escalated(store), cause("b", now), now);
      await store.escalations.markPosted([posted.id], now);
      const settledTask = await escalated(store);
      const settled = await store.escalations.stage(settledTask, cause("c", now), now);
      await store.escalations.resolveTask(settled.id, settledTask, "cancelled", now);
      await store.escalations.resolveIfSettled(settled.id, "cancelled", "U1", now);

      const open = await store.escalations.open();
      expect(open.map(({ id }) => id).sort(byId)).toEqual([staged.id, posted.id].sort(byId));

      const again = await store.escalations.stage(await escalated(store), cause("c", now), now);
      expect(again.id).not.toBe(settled.id);
      expect(again.state).toBe("staged");
    });
  });
}
