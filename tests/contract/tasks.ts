import { describe, expect, it } from "vitest";
import { FILED, freshStore, newTask, type OpenStore } from "./harness.js";

/** Tasks: filing, moves along the lifecycle with one event each, reads. */
export function taskContract(open: OpenStore): void {
  describe("tasks", () => {
    const opened = freshStore(open);

    it("create returns the task as stored and records its first event, from intake", async () => {
      const { store, clock } = opened();
      const now = clock.now();
      const task = await store.tasks.create(newTask({ priority: 2 }), {
        ...FILED,
        data: { via: "contract" },
      });

      expect(task).toMatchObject({
        state: "queued",
        priority: 2,
        attempts: 0,
        leaseOwner: null,
        leaseExpiresAt: null,
        output: null,
        feedback: [],
        nextRunAt: now,
        createdAt: now,
        updatedAt: now,
        stateSince: now,
      });
      expect(await store.tasks.get(task.id)).toEqual(task);
      expect(await store.tasks.events(task.id)).toEqual([
        expect.objectContaining({
          taskId: task.id,
          from: "intake",
          to: "queued",
          at: now,
          actor: "tester",
          reason: "filed",
          data: { via: "contract" },
        }),
      ]);
    });

    it("create in a state intake cannot move to is refused and stores nothing", async () => {
      const { store } = opened();
      await expect(
        store.tasks.create(newTask({ state: "running", dedupeKey: "refused" }), FILED),
      ).rejects.toMatchObject({ code: "illegal_transition" });
      expect(await store.tasks.findByDedupeKey("contract", "refused")).toBeUndefined();
    });

    it("a legal move writes exactly one event with from, to, actor, reason and data", async () => {
      const { store, clock } = opened();
      const task = await store.tasks.create(newTask(), FILED);
      clock.advance(1_000);

      const moved = await store.tasks.transition(task.id, "escalated", {
        actor: "U123",
        reason: "needs a person",
        data: { why: "test" },
        patch: { lastError: "stuck" },
      });

      expect(moved).toMatchObject({
        state: "escalated",
        lastError: "stuck",
        stateSince: clock.now(),
        updatedAt: clock.now(),
        createdAt: task.createdAt,
      });
      expect(await store.tasks.get(task.id)).toEqual(moved);
      const events = await store.tasks.events(task.id);
      expect(events).toHaveLength(2);
      expect(events[1]).toMatchObject({
        taskId: task.id,
        from: "queued",
        to: "escalated",
        at: clock.now(),
        enteredAt: task.stateSince,
        actor: "U123",
        reason: "needs a person",
        data: { why: "test" },
      });
    });

    it("a move without data records null data", async () => {
      const { store } = opened();
      const task = await store.tasks.create(newTask(), FILED);
      await store.tasks.transition(task.id, "cancelled", { actor: "U1", reason: "not needed" });
      expect((await store.tasks.events(task.id))[1]?.data).toBeNull();
    });

    it("an illegal move throws illegal_transition and writes nothing", async () => {
      const { store, clock } = opened();
      const task = await store.tasks.create(newTask(), FILED);
      clock.advance(1_000);

      await expect(
        store.tasks.transition(task.id, "done", { actor: "U1", reason: "skip the work" }),
      ).rejects.toMatchObject({ code: "illegal_transition" });
      expect(await store.tasks.get(task.id)).toEqual(task);
      expect(await store.tasks.events(task.id)).toHaveLength(1);
    });

    it("a move of a task that does not exist throws task_not_found", async () => {
      const { store } = opened();
      await expect(
        store.tasks.transition(404, "cancelled", { actor: "U1", reason: "gone" }),
      ).rejects.toMatchObject({ code: "task_not_found" });
    });

    it("advance writes one event per step, chained, and merges the patches in order", async () => {
      const { store, clock } = opened();
      const task = await store.tasks.create(newTask(), FILED);
      clock.advance(1_000);

      const done = await store.tasks.advance(task.id, [
        {
          to: "running",
          actor: "worker:w",
          reason: "started",
          patch: { attempts: 1, leaseOwner: "w" },
        },
        { to: "reviewing", actor: "worker:w", reason: "ran", patch: { output: "draft" } },
        { to: "done", actor: "system", reason: "checked", patch: { leaseOwner: null } },
      ]);

      expect(done).toMatchObject({
        state: "done",
        attempts: 1,
        leaseOwner: null,
        output: "draft",
        stateSince: clock.now(),
      });
      expect(await store.tasks.get(task.id)).toEqual(done);
      const events = await store.tasks.events(task.id);
      expect(events.map(({ from, to }) => `${from}→${to}`)).toEqual([
        "intake→queued",
        "queued→running",
        "running→reviewing",
        "reviewing→done",
      ]);
      expect(events.slice(1).map(({ actor, reason }) => `${actor}: ${reason}`)).toEqual([
        "worker:w: started",
        "worker:w: ran",
        "system: checked",
      ]);
    });

    it("advance with an illegal step anywhere on the path writes nothing", async () => {
      const { store } = opened();
      const task = await store.tasks.create(newTask(), FILED);
      await expect(
        store.tasks.advance(task.id, [
          { to: "running", actor: "worker:w", reason: "started", patch: { attempts: 1 } },
          { to: "done", actor: "system", reason: "no check" },
        ]),
      ).rejects.toMatchObject({ code: "illegal_transition" });
      expect(await store.tasks.get(task.id)).toEqual(task);
      expect(await store.tasks.events(task.id)).toHaveLength(1);
    });

    it("advance from the stored row returns the task moved, as stored", async () => {
      const { store, clock } = opened();
      const task = await store.tasks.create(newTask(), FILED);
      clock.advance(1_000);
      const moved = await store.tasks.advance(
        task.id,
        [{ to: "running", actor: "worker:w", reason: "started", patch: { attempts: 1 } }],
        task,
      );
      expect(moved).toMatchObject({ state: "running", attempts: 1, stateSince: clock.now() });
      expect(await store.tasks.get(task.id)).toEqual(moved);
    });

    it("advance from a stored row that has moved on throws task_moved and writes nothing", async () => {
      const { store } = opened();
      const stale = await store.tasks.create(newTask(), FILED);
      const escalated = await store.tasks.transition(stale.id, "escalated", {
        actor: "U1",
        reason: "meanwhile",
      });

      await expect(
        store.tasks.advance(
          stale.id,
          [{ to: "running", actor: "worker:w", reason: "started", patch: { attempts: 1 } }],
          stale,
        ),
      ).rejects.toMatchObject({ code: "task_moved" });
      expect(await store.tasks.get(stale.id)).toEqual(escalated);
      expect(await store.tasks.events(stale.id)).toHaveLength(2);
    });

    it("advance from a stored run whose task was requeued and claimed again refuses: the run is another's", async () => {
      const { store } = opened();
      await store.tasks.create(newTask(), FILED);
      const [mine] = await store.queue.claim("content", "w", 1, "me", 60_000);
      await store.queue.requeueHeld([mine!.task.id], "me", "cut off");
      const [theirs] = await store.queue.claim("content", "w", 1, "them", 60_000);
      expect(theirs!.task).toMatchObject({ state: "running", leaseOwner: "them" });

      const done = { to: "reviewing", actor: "worker:w", reason: "output ready" } as const;
      await expect(store.tasks.advance(mine!.task.id, [done], mine!.task)).rejects.toMatchObject({
        code: "task_moved",
      });
      expect(await store.tasks.get(mine!.task.id)).toEqual(theirs!.task);
      // Their run, from the row as they claimed it, moves on.
      const moved = await store.tasks.advance(theirs!.task.id, [done], theirs!.task);
      expect(moved).toMatchObject({ state: "reviewing", leaseOwner: "them" });
    });

    it("get, require and events of a task that does not exist", async () => {
      const { store } = opened();
      expect(await store.tasks.get(404)).toBeUndefined();
      await expect(store.tasks.require(404)).rejects.toMatchObject({ code: "task_not_found" });
      expect(await store.tasks.events(404)).toEqual([]);
    });

    it("require returns the task as get does", async () => {
      const { store } = opened();
      const task = await store.tasks.create(newTask(), FILED);
      expect(await store.tasks.require(task.id)).toEqual(task);
    });

    it("stateOf answers the task's state alone, undefined for no task", async () => {
      const { store } = opened();
      const task = await store.tasks.create(newTask(), FILED);
      await store.tasks.transition(task.id, "escalated", { actor: "U1", reason: "why" });
      expect(await store.tasks.stateOf(task.id)).toBe("escalated");
      expect(await store.tasks.stateOf(404)).toBeUndefined();
    });

    it("latestFrom is the newest task filed from a source", async () => {
      const { store } = opened();
      await store.tasks.create(newTask({ source: "schedule:weekly" }), FILED);
      const newest = await store.tasks.create(newTask({ source: "schedule:weekly" }), FILED);
      await store.tasks.create(newTask({ source: "console" }), FILED);
      expect(await store.tasks.latestFrom("schedule:weekly")).toEqual(newest);
      expect(await store.tasks.latestFrom("schedule:daily")).toBeUndefined();
    });

    it("findByDedupeKey finds a task by its source and key, both", async () => {
      const { store } = opened();
      const task = await store.tasks.create(
        newTask({ source: "webhook", dedupeKey: "delivery-1" }),
        FILED,
      );
      await store.tasks.create(newTask({ source: "webhook", dedupeKey: "delivery-2" }), FILED);

      expect(await store.tasks.findByDedupeKey("webhook", "delivery-1")).toEqual(task);
      expect(await store.tasks.findByDedupeKey("discord", "delivery-1")).toBeUndefined();
      expect(await store.tasks.findByDedupeKey("webhook", "delivery-3")).toBeUndefined();
    });

    it("update changes fields and updatedAt, not the state, and writes no event", async () => {
      const { store, clock } = opened();
      const task = await store.tasks.create(newTask(), FILED);
      clock.advance(1_000);

      await store.tasks.update(task.id, {
        priority: 7,
        output: "notes",
        outputMeta: { words: 3 },
      });

      expect(await store.tasks.get(task.id)).toEqual({
        ...task,
        priority: 7,
        output: "notes",
        outputMeta: { words: 3 },
        updatedAt: clock.now(),
      });
      expect(await store.tasks.events(task.id)).toHaveLength(1);
    });
  });
}
