import { describe, expect, it } from "vitest";
import { briefText } from "../../src/core/brief.js";
import { briefOf } from "../../src/core/task.js";
import type { LearnedExample } from "../../src/routing/learned.js";
import { FILED, freshStore, newTask, type OpenStore } from "./harness.js";

const example = (text: string, category: string, at: number): Omit<LearnedExample, "id"> => ({
  text,
  category,
  from: "general",
  origin: "reroute",
  taskId: 7,
  actor: "U1",
  at,
});

/** Learned routing examples: kept, listed, the latest decisions first, forgotten one by one. */
export function routingExampleContract(open: OpenStore): void {
  describe("routing examples", () => {
    const opened = freshStore(open);

    it("add returns the example with its id; list is oldest first, by category if asked", async () => {
      const { store } = opened();
      const first = await store.routingExamples.add(example("fix the invoice", "billing", 2));
      const second = await store.routingExamples.add({
        ...example("write a post", "content", 1),
        from: null,
        origin: "explicit",
        taskId: null,
      });
      const third = await store.routingExamples.add(example("refund", "billing", 3));
      const task = await store.tasks.create(newTask({ objective: "refund the order" }), FILED);
      const text = briefText(briefOf(task));
      const confirmed = await store.routingExamples.add({
        ...example(text, "billing", 4),
        from: null,
        origin: "confirmation",
        taskId: task.id,
      });

      expect(first).toEqual({
        id: expect.any(Number),
        ...example("fix the invoice", "billing", 2),
      });
      expect(await store.routingExamples.list()).toEqual([first, second, third, confirmed]);
      expect(await store.routingExamples.list("billing")).toEqual([first, third, confirmed]);
      // A confirmation teaches the classifier; the intake agent is shown people's decisions.
      expect(await store.routingExamples.recent(2)).toEqual([third, first]);
    });

    it("a confirmation's text is its task's brief, stored once: a confirmation whose task is gone is not listed", async () => {
      const { store } = opened();
      const task = await store.tasks.create(newTask(), FILED);
      const confirmation = (taskId: number) =>
        store.routingExamples.add({
          ...example("what the router read", "content", 1),
          from: null,
          origin: "confirmation",
          taskId,
        });
      const confirmed = await confirmation(task.id);
      await confirmation(task.id + 1_000);

      // The text is the task's as it is now (the example's was only the router's copy).
      expect(await store.routingExamples.list()).toEqual([
        { ...confirmed, text: briefText(briefOf(task)) },
      ]);
    });

    it("remove forgets one example, false when there was none", async () => {
      const { store } = opened();
      const kept = await store.routingExamples.add(example("a", "billing", 1));
      const gone = await store.routingExamples.add(example("b", "billing", 2));

      expect(await store.routingExamples.remove(gone.id)).toBe(true);
      expect(await store.routingExamples.remove(gone.id)).toBe(false);
      expect(await store.routingExamples.list()).toEqual([kept]);
    });

    it("pruneConfirmations keeps the latest confirmations and every person's decision", async () => {
      const { store } = opened();
      const task = await store.tasks.create(newTask({ objective: "bill them" }), FILED);
      const add = async (text: string, origin: "confirmation" | "reroute") => {
        const added = await store.routingExamples.add({
          ...example(text, "billing", 1),
          origin,
          taskId: task.id,
        });
        return origin === "confirmation" ? { ...added, text: briefText(briefOf(task)) } : added;
      };
      await add("one", "confirmation");
      const decision = await add("two", "reroute");
      await add("three", "confirmation");
      const kept = [await add("four", "confirmation"), await add("five", "confirmation")];

      expect(await store.routingExamples.pruneConfirmations(2)).toBe(2);
      expect(await store.routingExamples.list()).toEqual([decision, ...kept]);
      expect(await store.routingExamples.pruneConfirmations(2)).toBe(0);
    });
  });
}
