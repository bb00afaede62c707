import { describe, expect, it } from "vitest";
import type { NewTask } from "../../src/core/ports.js";
import type { Store } from "../../src/db/store.js";
import { FILED, freshStore, newTask, type OpenStore } from "./harness.js";

const LEASE = 60_000;

function queued(store: Store<"async">, overrides: Partial<NewTask> = {}) {
  return store.tasks.create(newTask(overrides), FILED);
}

async function ids(claims: Promise<{ task: { id: number } }[]>): Promise<number[]> {
  return (await claims).map(({ task }) => task.id);
}

/** The queue: claims under leases, attempts, leases given back, retries, incidents. */
export function queueContract(open: OpenStore): void {
  describe("queue", () => {
    const opened = freshStore(open);

    it("claim takes due tasks of its category, highest priority first, then oldest", async () => {
      const { store, clock } = opened();
      const now = clock.now();
      const at = (priority: number, nextRunAt: number, category = "content") =>
        queued(store, { priority, nextRunAt, category }).then(({ id }) => id);
      const lowOld = await at(0, now - 9_000);
      const highNew = await at(5, now - 1_000);
      const highOld = await at(5, now - 8_000);
      const middle = await at(2, now - 7_000);
      const notYetDue = await at(9, now + 10_000);
      const otherCategory = await at(9, now - 9_000, "support");

      expect(await ids(store.queue.claim("content", "writer", 3, "me", LEASE))).toEqual([
        highOld,
        highNew,
        middle,
      ]);
      expect(await ids(store.queue.claim("content", "writer", 3, "me", LEASE))).toEqual([lowOld]);
      expect(await store.queue.claim("content", "writer", 3, "me", LEASE)).toEqual([]);
      clock.advance(10_000);
      expect(await ids(store.queue.claim("content", "writer", 3, "me", LEASE))).toEqual([
        notYetDue,
      ]);
      expect(await ids(store.queue.claim("support", "helper", 3, "me", LEASE))).toEqual([
        otherCategory,
      ]);
    });

    it("of tasks equal in priority and due time, the one filed first is claimed first", async () => {
      const { store } = opened();
      const first = await queued(store);
      const second = await queued(store);
      expect(await ids(store.queue.claim("content", "writer", 2, "me", LEASE))).toEqual([
        first.id,
        second.id,
      ]);
    });

    it("a claim moves the task to running under a lease, with an event and an attempt", async () => {
      const { store, clock } = opened();
      const task = await queued(store);
      clock.advance(1_000);
      const now = clock.now();

      const [claimed, ...rest] = await store.queue.claim("content", "writer", 5, "me", LEASE);

      expect(rest).toEqual([]);
      expect(claimed!.task).toMatchObject({
        id: task.id,
        state: "running",
        attempts: 1,
        leaseOwner: "me",
        leaseExpiresAt: now + LEASE,
        stateSince: now,
      });
      expect(await store.tasks.get(task.id)).toEqual(claimed!.task);
      expect((await store.tasks.events(task.id))[1]).toMatchObject({
        from: "queued",
        to: "running",
        at: now,
        actor: "worker:writer",
      });
      expect(await store.queue.attemptsOf(task.id)).toEqual([
        expect.objectContaining({
          id: claimed!.attemptId,
          taskId: task.id,
          number: 1,
          worker: "writer",
          startedAt: now,
          endedAt: null,
          outcome: "running",
        }),
      ]);
    });

    it("a claim for no slots takes nothing", async () => {
      const { store } = opened();
      await queued(store);
      expect(await store.queue.claim("content", "writer", 0, "me", LEASE)).toEqual([]);
    });

    it("claims racing each other never take the same task", async () => {
      const { store } = opened();
      for (let n = 0; n < 7; n++) await queued(store);

      const claims = await Promise.all(
        ["a", "b", "c", "d"].map((owner) =>
          store.queue.claim("content", "writer", 3, owner, LEASE),
        ),
      );

      const taken = claims.flat().map(({ task }) => task.id);
      expect(taken).toHaveLength(7);
      expect(new Set(taken).size).toBe(7);
      const attempts = await Promise.all(taken.map((id) => store.queue.attemptsOf(id)));
      expect(attempts.map((list) => list.length)).toEqual(taken.map(() => 1));
    });

    it("renewLeases extends only the leases its owner holds", async () => {
      const { store, clock } = opened();
      const [mine] = await ids(
        queued(store).then(() => store.queue.claim("content", "w", 1, "me", LEASE)),
      );
      const [theirs] = await ids(
        queued(store).then(() => store.queue.claim("content", "w", 1, "them", LEASE)),
      );
      const before = (await store.tasks.require(theirs!)).leaseExpiresAt;
      clock.advance(30_000);

      expect(await store.queue.renewLeases([mine!, theirs!], "me", LEASE)).toEqual([mine]);

      expect((await store.tasks.require(mine!)).leaseExpiresAt).toBe(clock.now() + LEASE);
      expect((await store.tasks.require(theirs!)).leaseExpiresAt).toBe(before);
    });

    it("renewLeases renews no lease on a task requeued meanwhile: the run has lost it", async () => {
      const { store, clock } = opened();
      const [held] = await ids(
        queued(store).then(() => store.queue.claim("content", "w", 1, "me", LEASE)),
      );
      clock.advance(LEASE + 1);
      await store.queue.recoverLeases({ everyLease: false, reason: "lease expired" });

      expect(await store.queue.renewLeases([held!], "me", LEASE)).toEqual([]);
      expect(await store.tasks.require(held!)).toMatchObject({ state: "queued", leaseOwner: null });
    });

    it("recoverLeases requeues expired leases only, abandons their attempt, gives one back", async () => {
      const { store, clock } = opened();
      await queued(store, { maxAttempts: 3 });
      const [short] = await store.queue.claim("content", "w", 1, "me", 10_000);
      await queued(store);
      const [long] = await store.queue.claim("content", "w", 1, "me", 60_000);
      clock.advance(30_000);

      const recovered = await store.queue.recoverLeases({ everyLease: false, reason: "expired" });

      expect(recovered.map(({ id }) => id)).toEqual([short!.task.id]);
      expect(recovered[0]).toMatchObject({
        state: "queued",
        leaseOwner: null,
        leaseExpiresAt: null,
        nextRunAt: clock.now(),
        attempts: 1,
        maxAttempts: 4,
      });
      expect(await store.tasks.get(short!.task.id)).toEqual(recovered[0]);
      expect((await store.tasks.events(short!.task.id)).at(-1)).toMatchObject({
        from: "running",
        to: "queued",
        reason: "expired",
      });
      expect(await store.queue.attemptsOf(short!.task.id)).toEqual([
        expect.objectContaining({ outcome: "abandoned", endedAt: clock.now(), error: "expired" }),
      ]);
      expect((await store.tasks.require(long!.task.id)).state).toBe("running");
    });

    it("recoverLeases with everyLease requeues unexpired leases too", async () => {
      const { store } = opened();
      await queued(store);
      await queued(store);
      const claimed = await ids(store.queue.claim("content", "w", 2, "me", LEASE));

      const recovered = await store.queue.recoverLeases({ everyLease: true, reason: "restart" });

      expect(recovered.map(({ id }) => id).sort((a, b) => a - b)).toEqual(
        [...claimed].sort((a, b) => a - b),
      );
      for (const task of recovered) expect(task.state).toBe("queued");
    });

    it("recoverStopped requeues the leases of processes gone or silent since, not of live or unknown owners", async () => {
      const { store, clock } = opened();
      const process = (id: string) => ({
        id,
        host: "h",
        pid: 1,
        roles: [],
        categories: [],
        version: "1.2.3",
        config: "",
      });
      for (const id of ["live", "silent", "gone"]) await store.processes.register(process(id));
      await store.processes.gone("gone");
      const leased: Record<string, number> = {};
      for (const owner of ["live", "silent", "gone", "unregistered"]) {
        await queued(store);
        const [claim] = await store.queue.claim("content", "w", 1, owner, LEASE);
        leased[owner] = claim!.task.id;
      }
      clock.advance(20_000);
      await store.processes.beat("live", { roles: [], categories: [] });

      const recovered = await store.queue.recoverStopped(clock.now() - 15_000, "stopped");

      expect(recovered.map(({ id }) => id).sort((a, b) => a - b)).toEqual([
        leased.silent,
        leased.gone,
      ]);
      expect(recovered[0]).toMatchObject({ state: "queued", leaseOwner: null, maxAttempts: 4 });
      expect(await store.queue.attemptsOf(leased.silent!)).toEqual([
        expect.objectContaining({ outcome: "abandoned", error: "stopped" }),
      ]);
      for (const owner of ["live", "unregistered"])
        expect((await store.tasks.require(leased[owner]!)).state).toBe("running");
    });

    it("requeueHeld requeues, of the ids given, the tasks their owner still holds", async () => {
      const { store } = opened();
      for (let n = 0; n < 3; n++) await queued(store);
      const [mine, alsoMine] = await ids(store.queue.claim("content", "w", 2, "me", LEASE));
      const [theirs] = await ids(store.queue.claim("content", "w", 1, "them", LEASE));

      const requeued = await store.queue.requeueHeld([mine!, theirs!], "me", "rolled back");

      expect(requeued.map(({ id }) => id)).toEqual([mine]);
      expect(requeued[0]).toMatchObject({ state: "queued", leaseOwner: null, maxAttempts: 4 });
      expect((await store.queue.attemptsOf(mine!))[0]?.outcome).toBe("abandoned");
      expect((await store.tasks.require(alsoMine!)).state).toBe("running");
      expect((await store.tasks.require(theirs!)).state).toBe("running");
    });

    it("promoteDueRetries queues the retry waits that are over, each with its event", async () => {
      const { store, clock } = opened();
      for (let n = 0; n < 2; n++) await queued(store);
      const [soon, later] = await ids(store.queue.claim("content", "w", 2, "me", LEASE));
      const now = clock.now();
      const wait = (id: number, nextRunAt: number) =>
        store.tasks.transition(id, "retry_wait", {
          actor: "system",
          reason: "failed",
          patch: { nextRunAt, leaseOwner: null, leaseExpiresAt: null },
        });
      await wait(soon!, now + 5_000);
      await wait(later!, now + 50_000);

      expect(await store.queue.promoteDueRetries()).toBe(0);
      clock.advance(10_000);
      expect(await store.queue.promoteDueRetries()).toBe(1);

      expect((await store.tasks.require(soon!)).state).toBe("queued");
      expect((await store.tasks.events(soon!)).at(-1)).toMatchObject({
        from: "retry_wait",
        to: "queued",
        at: clock.now(),
      });
      expect((await store.tasks.require(later!)).state).toBe("retry_wait");
    });

    it("finishAttempt records how the attempt ended", async () => {
      const { store, clock } = opened();
      const task = await queued(store);
      const [claimed] = await store.queue.claim("content", "w", 1, "me", LEASE);
      clock.advance(2_000);

      await store.queue.finishAttempt(claimed!.attemptId, "failed", {
        failureClass: "transient",
        error: "timed out",
        meta: { exitCode: 124 },
      });

      expect(await store.queue.attemptsOf(task.id)).toEqual([
        expect.objectContaining({
          id: claimed!.attemptId,
          outcome: "failed",
          endedAt: clock.now(),
          failureClass: "transient",
          error: "timed out",
          meta: { exitCode: 124 },
        }),
      ]);
    });

    it("endAttempt moves the task and ends its attempt in one write, or neither once the task moved on", async () => {
      const { store, clock } = opened();
      const task = await queued(store);
      const [claimed] = await store.queue.claim("content", "w", 1, "me", LEASE);
      clock.advance(2_000);
      const toDone = [
        { to: "reviewing" as const, actor: "w", reason: "output ready", patch: { output: "ok" } },
        { to: "done" as const, actor: "system", reason: "passed", patch: { leaseOwner: null } },
      ];

      const done = await store.queue.endAttempt(
        { taskId: task.id, steps: toDone, stored: claimed!.task },
        { attemptId: claimed!.attemptId, outcome: "succeeded", meta: { tokens: 12 } },
      );

      expect(done).toMatchObject({ id: task.id, state: "done", output: "ok", leaseOwner: null });
      expect((await store.tasks.events(task.id)).map(({ to }) => to)).toEqual([
        "queued",
        "running",
        "reviewing",
        "done",
      ]);
      expect(await store.queue.attemptsOf(task.id)).toEqual([
        expect.objectContaining({
          outcome: "succeeded",
          endedAt: clock.now(),
          failureClass: null,
          error: null,
          meta: { tokens: 12 },
        }),
      ]);

      // Cancelled while it ran: the completion as the run held the task is refused whole.
      const other = await queued(store);
      const [running] = await store.queue.claim("content", "w", 1, "me", LEASE);
      await store.tasks.transition(other.id, "cancelled", { actor: "op", reason: "no longer" });
      await expect(
        store.queue.endAttempt(
          { taskId: other.id, steps: toDone, stored: running!.task },
          { attemptId: running!.attemptId, outcome: "succeeded" },
        ),
      ).rejects.toMatchObject({ code: "task_moved" });
      expect((await store.tasks.require(other.id)).state).toBe("cancelled");
      expect((await store.queue.attemptsOf(other.id)).map(({ outcome }) => outcome)).toEqual([
        "running",
      ]);
    });

    it("attempts are listed by number, one per claim", async () => {
      const { store } = opened();
      const task = await queued(store);
      const [first] = await store.queue.claim("content", "w", 1, "me", LEASE);
      await store.queue.finishAttempt(first!.attemptId, "succeeded");
      await store.queue.requeueHeld([task.id], "me", "again");
      await store.queue.claim("content", "w", 1, "me", LEASE);

      const attempts = await store.queue.attemptsOf(task.id);
      expect(attempts.map(({ number, outcome }) => `${number}:${outcome}`)).toEqual([
        "1:succeeded",
        "2:running",
      ]);
    });

    it("an incident is opened once per worker until resolved, and counts its probes", async () => {
      const { store, clock } = opened();
      const now = clock.now();
      const first = await store.queue.openIncident("writer", "connection refused", 30_000);
      expect(first).toEqual({
        opened: true,
        incident: expect.objectContaining({
          worker: "writer",
          error: "connection refused",
          startedAt: now,
          nextProbeAt: now + 30_000,
          probes: 0,
          resolvedAt: null,
        }),
      });
      const again = await store.queue.openIncident("writer", "still refused", 30_000);
      expect(again.opened).toBe(false);
      expect(again.incident).toEqual(first.incident);
      const other = await store.queue.openIncident("reviewer", "quota", 30_000);

      await store.queue.scheduleProbe(first.incident.id, now + 60_000);
      const open = await store.queue.openIncidents();
      expect(open.map(({ id }) => id).sort((a, b) => a - b)).toEqual([
        first.incident.id,
        other.incident.id,
      ]);
      expect(open.find(({ id }) => id === first.incident.id)).toMatchObject({
        probes: 1,
        nextProbeAt: now + 60_000,
      });

      clock.advance(5_000);
      await store.queue.resolveIncident(first.incident.id);
      expect((await store.queue.openIncidents()).map(({ id }) => id)).toEqual([other.incident.id]);
      const reopened = await store.queue.openIncident("writer", "down again", 30_000);
      expect(reopened.opened).toBe(true);
      expect(reopened.incident.id).not.toBe(first.incident.id);
    });
  });
}
