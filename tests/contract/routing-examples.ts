import { describe, expect, it } from "vitest";
import { briefText } from "../../src/core/brief.js";
import type { ManualClock } from "../../src/core/clock.js";
import type { NewTask } from "../../src/core/ports.js";
import type { RoutingTrace, Task } from "../../src/core/task.js";
import { briefOf } from "../../src/core/task.js";
import type { Store } from "../../src/db/store.js";
import {
  type Decision,
  type LearnedExample,
  confirmationOf as learnedFrom,
} from "../../src/routing/learned.js";
import { FILED, freshStore, newTask, type OpenStore } from "./harness.js";

const example = (text: string, category: string, at: number): Decision => ({
  text,
  category,
  from: "general",
  origin: "reroute",
  taskId: 7,
  actor: "U1",
  at,
});

/**
 * Learned routing examples: people's decisions kept, listed, the latest first, forgotten one by
 * one; confirmations read from the tasks done, forgotten for good.
 */
export function routingExampleContract(open: OpenStore): void {
  describe("routing examples", () => {
    const opened = freshStore(open);

    it("add returns the decision with its id; list is oldest first, by category if asked", async () => {
      const { store } = opened();
      const first = await store.routingExamples.add(example("fix the invoice", "billing", 2));
      const second = await store.routingExamples.add({
        ...example("write a post", "content", 1),
        from: null,
        origin: "explicit",
        taskId: null,
      });
      const third = await store.routingExamples.add(example("refund", "billing", 3));

      expect(first).toEqual({
        id: expect.any(Number),
        ...example("fix the invoice", "billing", 2),
      });
      expect(await store.routingExamples.list()).toEqual([first, second, third]);
      expect(await store.routingExamples.list("billing")).toEqual([first, third]);
      expect(await store.routingExamples.recent(2)).toEqual([third, first]);
    });

    it("remove forgets one decision, false when there was none", async () => {
      const { store } = opened();
      const kept = await store.routingExamples.add(example("a", "billing", 1));
      const gone = await store.routingExamples.add(example("b", "billing", 2));

      expect(await store.routingExamples.remove(gone.id)).toBe(true);
      expect(await store.routingExamples.remove(gone.id)).toBe(false);
      expect(await store.routingExamples.list()).toEqual([kept]);
    });

    it("confirmations are the tasks done where the router placed them, for a person, by its own rule", async () => {
      const { store, clock } = opened();
      const placed = await done(store, clock, {
        objective: "refund the order",
        category: "billing",
      });
      const later = await done(store, clock, { objective: "draft the post" });
      expect(await store.routingExamples.confirmations(1)).toEqual([confirmationOf(later)]);
      // Not confirmations: a category a person chose, a task moved since routing, a webhook's,
      // a pipeline's next step, a task not done, one with nothing to learn from.
      await done(store, clock, { routing: { ...ROUTED, rule: "explicit" } });
      await done(store, clock, { routing: { ...ROUTED, rule: "reroute" } });
      await done(store, clock, { category: "support", routing: ROUTED });
      await done(store, clock, { source: "webhook:helpdesk" });
      await done(store, clock, { source: "schedule:weekly" });
      await done(store, clock, { parentId: placed.id });
      await store.tasks.create(newTask({ routing: ROUTED }), FILED);
      await done(store, clock, {
        objective: " ",
        inputs: [],
        constraints: [],
        outputFormat: "",
        acceptanceCriteria: [],
      });

      expect(await store.routingExamples.confirmations(10)).toEqual([
        confirmationOf(placed),
        confirmationOf(later),
      ]);
      // People's decisions are apart from them.
      expect(await store.routingExamples.list()).toEqual([]);
      expect(confirmationOf(placed)).toMatchObject({
        id: placed.id,
        taskId: placed.id,
        origin: "confirmation",
        category: "billing",
        text: briefText(briefOf(placed)),
        at: placed.stateSince,
      });
    });

    it("the latest confirmations come as they were done, oldest first", async () => {
      const { store, clock } = opened();
      const first = await file(store, { objective: "filed first, done last" });
      const second = await done(store, clock, { objective: "filed second, done first" });
      clock.advance(1_000);
      const last = await store.tasks.advance(first.id, THROUGH_TO_DONE);

      expect(await store.routingExamples.confirmations(10)).toEqual([
        confirmationOf(second),
        confirmationOf(last),
      ]);
    });

    it("unconfirm keeps a confirmation forgotten, once; a forgotten one is no decision to remove", async () => {
      const { store, clock } = opened();
      const kept = await done(store, clock, { objective: "keep this one" });
      const forgotten = await done(store, clock, { objective: "forget this one" });
      const unconfirmed = { taskId: forgotten.id, category: "content", actor: "cli", at: 5 };

      expect(await store.routingExamples.unconfirm(unconfirmed)).toBe(true);
      expect(await store.routingExamples.unconfirm(unconfirmed)).toBe(false);
      expect(await store.routingExamples.confirmations(10)).toEqual([confirmationOf(kept)]);
      expect(await store.routingExamples.list()).toEqual([]);
      expect(await store.routingExamples.recent(10)).toEqual([]);
    });

    it("forgottenConfirmations names the tasks forgotten, latest first, as many as asked", async () => {
      const { store, clock } = opened();
      const tasks = [];
      for (const objective of ["one", "two", "three"])
        tasks.push(await done(store, clock, { objective }));
      expect(await store.routingExamples.forgottenConfirmations(10)).toEqual([]);
      for (const task of [tasks[2]!, tasks[0]!]) {
        await store.routingExamples.unconfirm({
          taskId: task.id,
          category: "content",
          actor: "cli",
          at: 5,
        });
      }
      await store.routingExamples.add(
        example("a decision is no forgotten confirmation", "admin", 9),
      );

      expect(await store.routingExamples.forgottenConfirmations(10)).toEqual([
        tasks[0]!.id,
        tasks[2]!.id,
      ]);
      expect(await store.routingExamples.forgottenConfirmations(1)).toEqual([tasks[0]!.id]);
    });
  });
}

/** Routed by the router's own rules, to the category the task keeps. */
const ROUTED: RoutingTrace = { ...newTask().routing, rule: "content.keywords" };
const MOVED = { actor: "tester", reason: "moved" };
const THROUGH_TO_DONE = [
  { to: "running" as const, ...MOVED },
  { to: "reviewing" as const, ...MOVED },
  { to: "done" as const, ...MOVED },
];

function file(store: Store<"async">, overrides: Partial<NewTask>): Promise<Task> {
  const category = overrides.category ?? "content";
  const routing = { ...ROUTED, category };
  return store.tasks.create(newTask({ source: "console", routing, ...overrides }), FILED);
}

/** A person's request, routed by the router's rules, taken through a run to done a second later. */
async function done(store: Store<"async">, clock: ManualClock, overrides: Partial<NewTask> = {}) {
  const { id } = await file(store, overrides);
  clock.advance(1_000);
  return store.tasks.advance(id, THROUGH_TO_DONE);
}

function confirmationOf(task: Task): LearnedExample {
  const example = learnedFrom(task);
  if (example === undefined) throw new Error(`T-${task.id} has no brief`);
  return example;
}
