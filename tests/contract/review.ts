import { describe, expect, it } from "vitest";
import type { ManualClock } from "../../src/core/clock.js";
import type { NewTask } from "../../src/core/ports.js";
import type { Store } from "../../src/db/store.js";
import { monthPeriod } from "../../src/review/period.js";
import { FILED, freshStore, newTask, type OpenStore } from "./harness.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const LEASE = 60_000;
const MOVED = { actor: "pool", reason: "moved" };
/** January 2026 in Paris: its days begin at 23:00 UTC the evening before. */
const JANUARY = monthPeriod("2026-01", "Europe/Paris");

/** The tasks of the month, by what happened to them. */
interface Month {
  /** Done at the first attempt, an hour after filing. */
  quick: number;
  /** Failed once (logic), retried by itself, done a day later. */
  recovered: number;
  /** Failed (logic) and waiting to retry. */
  waiting: number;
  /** Failed, escalated, retried by an operator from the escalation. */
  escalated: number;
  /** Landed in the catch-all, rerouted to content by an operator. */
  rerouted: number;
  /** Landed in the catch-all and still there. */
  caughtAll: number;
  /** Cancelled by an operator. */
  cancelled: number;
  escalationId: number;
}

async function file(store: Store<"async">, overrides: Partial<NewTask>, data = {}) {
  return (await store.tasks.create(newTask(overrides), { ...FILED, data })).id;
}

/** Claims the one due task of `category` and ends its attempt as `outcome`. */
async function run(
  store: Store<"async">,
  category: string,
  worker: string,
  failure?: string,
): Promise<number> {
  const [claimed] = await store.queue.claim(category, worker, 1, "pool", LEASE);
  const id = claimed!.task.id;
  if (failure === undefined) {
    await store.queue.finishAttempt(claimed!.attemptId, "succeeded");
  } else {
    await store.queue.finishAttempt(claimed!.attemptId, "failed", {
      failureClass: "logic",
      error: failure,
    });
  }
  return id;
}

async function finish(store: Store<"async">, id: number): Promise<void> {
  await store.tasks.advance(id, [
    { to: "reviewing", ...MOVED },
    { to: "done", ...MOVED },
  ]);
}

/**
 * A small month (the clock starts on 1 January, 00:00 UTC): three categories, a retry that
 * recovers, an escalation an operator retries, a reroute out of the catch-all, a cancel,
 * anomalies that resolve by themselves or after an operator acted, and a task of February.
 */
async function aMonth(store: Store<"async">, clock: ManualClock): Promise<Month> {
  const t0 = clock.now();
  await file(store, { objective: "Quick one" });
  const quick = await run(store, "content", "writer");
  clock.advance(HOUR);
  await finish(store, quick);

  await file(store, { objective: "Recovers" });
  const recovered = await run(store, "content", "writer", "Timeout after 30s in step 3");
  clock.advance(10 * 60_000);
  await store.tasks.transition(recovered, "retry_wait", {
    ...MOVED,
    patch: { nextRunAt: t0 + DAY },
  });
  await file(store, { objective: "Waits" });
  const waiting = await run(store, "content", "writer", "Timeout after 45s in step 3");
  await store.tasks.transition(waiting, "retry_wait", {
    ...MOVED,
    patch: { nextRunAt: t0 + 40 * DAY },
  });

  await file(store, { objective: "Escalates", category: "support" });
  const escalated = await run(store, "support", "helper", "Refused by the helpdesk");
  await store.tasks.transition(escalated, "escalated", MOVED);
  const group = await store.escalations.stage(
    escalated,
    {
      rootCause: "helper:logic",
      failureClass: "logic",
      category: "support",
      worker: "helper",
      summary: (count) => `helper failing: ${count}`,
      urgent: false,
      postAfter: clock.now(),
      reason: "refused",
    },
    clock.now(),
  );
  await store.escalations.markPosted([group.id], clock.now());

  const general = { category: "general", state: "escalated" as const };
  const rerouted = await file(
    store,
    { ...general, objective: "Rerouted" },
    { rule: "general.keywords" },
  );
  const caughtAll = await file(store, { ...general, objective: "Caught" });
  const cancelled = await file(store, { objective: "Cancelled", category: "support" });

  clock.set(t0 + DAY);
  await store.queue.promoteDueRetries();
  expect(await run(store, "content", "writer")).toBe(recovered);
  const unanswered = await store.monitor.insertAnomaly(
    {
      rule: "escalation.unanswered",
      subject: `escalation:${group.id}`,
      detail: "E-1 unanswered",
      taskId: escalated,
    },
    clock.now(),
  );
  clock.advance(2 * HOUR);
  await finish(store, recovered);

  clock.set(t0 + 2 * DAY);
  await store.tasks.transition(escalated, "queued", {
    actor: "U1",
    reason: "retry",
    data: { action: "retry" },
  });
  await store.escalations.resolveTask(group.id, escalated, "retried", clock.now());
  await store.escalations.resolveIfSettled(group.id, "retried", "U1", clock.now());
  await store.tasks.transition(rerouted, "queued", {
    actor: "U1",
    reason: "reroute",
    data: { action: "reroute", from: "general", to: "content" },
    patch: { category: "content" },
  });
  await store.tasks.transition(cancelled, "cancelled", {
    actor: "U2",
    reason: "cancel",
    data: { action: "cancel" },
  });
  const stall = await store.monitor.insertAnomaly(
    {
      rule: "stalled.threshold",
      subject: `task:${caughtAll}`,
      detail: "T stalled",
      taskId: caughtAll,
    },
    clock.now(),
  );
  await store.monitor.insertAnomaly(
    {
      rule: "retries.approaching",
      subject: `task:${waiting}`,
      detail: "T retrying",
      taskId: waiting,
    },
    clock.now(),
  );
  clock.advance(1_000);
  await store.monitor.resolveAnomaly(unanswered, clock.now());
  clock.set(t0 + 3 * DAY);
  await store.monitor.resolveAnomaly(stall, clock.now());

  clock.set(Date.UTC(2026, 1, 2));
  await file(store, { objective: "February", category: "ops" });
  await run(store, "ops", "writer", "Timeout after 60s in step 3");
  return {
    quick,
    recovered,
    waiting,
    escalated,
    rerouted,
    caughtAll,
    cancelled,
    escalationId: group.id,
  };
}

/** The monthly review's aggregates, each section on the same small month. */
export function reviewContract(open: OpenStore): void {
  describe("review", () => {
    const opened = freshStore(open);

    it("createdTasks: the month's tasks by local day, category and state, and time to done", async () => {
      const { store, clock } = opened();
      await aMonth(store, clock);

      const day = "2026-01-01";
      expect(await store.review.createdTasks(JANUARY)).toEqual({
        byDay: [
          { day, category: "content", state: "done", count: 2 },
          { day, category: "content", state: "queued", count: 1 },
          { day, category: "content", state: "retry_wait", count: 1 },
          { day, category: "general", state: "escalated", count: 1 },
          { day, category: "support", state: "cancelled", count: 1 },
          { day, category: "support", state: "queued", count: 1 },
        ],
        toDone: [{ category: "content", count: 2, medianMs: HOUR, p90Ms: DAY + HOUR }],
      });
    });

    it("endedAttempts: attempts by category, failures by class with those that recovered alone", async () => {
      const { store, clock } = opened();
      await aMonth(store, clock);

      expect(await store.review.endedAttempts(JANUARY)).toEqual({
        byCategory: [
          { category: "content", attempts: 4 },
          { category: "support", attempts: 1 },
        ],
        failed: [
          { category: "content", failureClass: "logic", failed: 2, autoRecovered: 1 },
          { category: "support", failureClass: "logic", failed: 1, autoRecovered: 0 },
        ],
      });
    });

    it("escalations: by root cause with resolutions and median, each listed, counted by day", async () => {
      const { store, clock } = opened();
      const month = await aMonth(store, clock);
      const t0 = Date.UTC(2026, 0, 1);

      expect(await store.review.escalationsByRootCause(JANUARY)).toEqual([
        {
          rootCause: "helper:logic",
          failureClass: "logic",
          category: "support",
          worker: "helper",
          summary: "helper failing: 1",
          escalations: 1,
          tasks: 1,
          open: 0,
          resolutions: { retried: 1 },
          medianResolutionMs: 2 * DAY - 70 * 60_000,
        },
      ]);
      expect(await store.review.escalationItems(JANUARY, 5)).toEqual([
        {
          escalationId: month.escalationId,
          rootCause: "helper:logic",
          summary: "helper failing: 1",
          createdAt: t0 + 70 * 60_000,
          resolvedAt: t0 + 2 * DAY,
          resolution: "retried",
          resolvedBy: "U1",
          taskIds: [month.escalated],
          taskStates: ["queued"],
        },
      ]);
      expect(await store.review.escalationItems(JANUARY, 0)).toEqual([]);
      expect(await store.review.dailyEscalations(JANUARY)).toEqual([
        { day: "2026-01-01", count: 1 },
      ]);
    });

    it("interventions: operators' actions by action and actor; those outside escalations listed", async () => {
      const { store, clock } = opened();
      const month = await aMonth(store, clock);
      const at = Date.UTC(2026, 0, 3);

      expect(await store.review.interventions(JANUARY)).toEqual([
        { action: "cancel", actor: "U2", count: 1 },
        { action: "reroute", actor: "U1", count: 1 },
        { action: "retry", actor: "U1", count: 1 },
      ]);
      const rerouted = {
        taskId: month.rerouted,
        action: "reroute",
        actor: "U1",
        at,
        from: "general",
        to: "content",
        state: "queued",
      };
      expect(await store.review.otherInterventions(JANUARY, 10)).toEqual({
        count: 2,
        items: [
          rerouted,
          {
            taskId: month.cancelled,
            action: "cancel",
            actor: "U2",
            at,
            from: null,
            to: null,
            state: "cancelled",
          },
        ],
      });
      expect(await store.review.otherInterventions(JANUARY, 1)).toEqual({
        count: 2,
        items: [rerouted],
      });
    });

    it("anomaliesByRule: fired, resolved, resolved with no operator acting, longest open", async () => {
      const { store, clock } = opened();
      const month = await aMonth(store, clock);

      expect(await store.review.anomaliesByRule(JANUARY)).toEqual([
        {
          rule: "escalation.unanswered",
          category: "support",
          fired: 1,
          resolved: 1,
          selfResolved: 0,
          maxOpenMs: DAY + 1_000,
          taskIds: [month.escalated],
          detail: "E-1 unanswered",
        },
        {
          rule: "retries.approaching",
          category: "content",
          fired: 1,
          resolved: 0,
          selfResolved: 0,
          maxOpenMs: null,
          taskIds: [month.waiting],
          detail: "T retrying",
        },
        {
          rule: "stalled.threshold",
          category: "general",
          fired: 1,
          resolved: 1,
          selfResolved: 1,
          maxOpenMs: DAY,
          taskIds: [month.caughtAll],
          detail: "T stalled",
        },
      ]);
    });

    it("catchAll: tasks that landed in the catch-all, rerouted out since or not", async () => {
      const { store, clock } = opened();
      const month = await aMonth(store, clock);

      const rerouted = {
        taskId: month.rerouted,
        objective: "Rerouted",
        state: "queued",
        category: "content",
      };
      expect(await store.review.catchAll(JANUARY, "general", 10)).toEqual({
        count: 2,
        tasks: [
          rerouted,
          { taskId: month.caughtAll, objective: "Caught", state: "escalated", category: "general" },
        ],
      });
      expect(await store.review.catchAll(JANUARY, "general", 1)).toEqual({
        count: 2,
        tasks: [rerouted],
      });
    });

    it("reroutes: each pair with its tasks and the rule that had routed them; tasks rerouted", async () => {
      const { store, clock } = opened();
      const month = await aMonth(store, clock);

      const pair = { from: "general", to: "content", count: 1, kept: 1 };
      expect(await store.review.reroutes(JANUARY, 5)).toEqual([
        {
          ...pair,
          tasks: [
            {
              taskId: month.rerouted,
              objective: "Rerouted",
              rule: "general.keywords",
              state: "queued",
            },
          ],
        },
      ]);
      expect(await store.review.reroutes(JANUARY, 0)).toEqual([{ ...pair, tasks: [] }]);
      expect(await store.review.reroutedTasks(JANUARY)).toBe(1);
    });

    it("repeatedLogicFailures: a worker's logic failures of one signature, at least so many", async () => {
      const { store, clock } = opened();
      const month = await aMonth(store, clock);

      const writer = {
        worker: "writer",
        signature: "timeout after #s in step #",
        count: 2,
        tasks: 2,
        example: "Timeout after 30s in step 3",
        taskIds: [month.recovered, month.waiting],
      };
      expect(await store.review.repeatedLogicFailures(JANUARY, 2)).toEqual([writer]);
      expect(await store.review.repeatedLogicFailures(JANUARY, 1)).toEqual([
        writer,
        {
          worker: "helper",
          signature: "refused by the helpdesk",
          count: 1,
          tasks: 1,
          example: "Refused by the helpdesk",
          taskIds: [month.escalated],
        },
      ]);
    });

    it("snapshot: the reads in it answer as outside it; an empty month reads as empty", async () => {
      const { store, clock } = opened();
      await aMonth(store, clock);

      const inside = await store.review.snapshot(async () => ({
        tasks: await store.review.createdTasks(JANUARY),
        rerouted: await store.review.reroutedTasks(JANUARY),
      }));
      expect(inside).toEqual({
        tasks: await store.review.createdTasks(JANUARY),
        rerouted: 1,
      });

      const march = monthPeriod("2026-03", "Europe/Paris");
      expect(await store.review.createdTasks(march)).toEqual({ byDay: [], toDone: [] });
      expect(await store.review.endedAttempts(march)).toEqual({ byCategory: [], failed: [] });
      expect(await store.review.escalationsByRootCause(march)).toEqual([]);
      expect(await store.review.anomaliesByRule(march)).toEqual([]);
      expect(await store.review.otherInterventions(march, 5)).toEqual({ count: 0, items: [] });
      expect(await store.review.reroutedTasks(march)).toBe(0);
    });
  });
}
