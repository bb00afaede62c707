import { describe, expect, it } from "vitest";
import type { Store } from "../../src/db/store.js";
import { FILED, freshStore, newTask, type OpenStore, otherTurns } from "./harness.js";

/** A task filed under a key of its own, to be looked for afterwards whatever its id. */
function file(store: Store<"async">, key: string) {
  return store.tasks.create(newTask({ dedupeKey: key }), FILED);
}

async function filed(store: Store<"async">, key: string): Promise<boolean> {
  return (await store.tasks.findByDedupeKey("contract", key)) !== undefined;
}

async function pendingKeys(store: Store<"async">): Promise<string[]> {
  return (await store.outbox.pending(100)).map(({ key }) => key).sort();
}

class Boom extends Error {}

/** Writes: all of one or none of it; nested writes; writes side by side. */
export function writeContract(open: OpenStore): void {
  describe("writes", () => {
    const opened = freshStore(open);

    it("a write stores everything it did and returns what its work returned", async () => {
      const { store } = opened();
      const id = await store.tasks.write(async () => {
        const task = await file(store, "a");
        await otherTurns();
        await store.tasks.transition(task.id, "escalated", { actor: "U1", reason: "why" });
        await store.outbox.add({ kind: "task_escalated", taskId: task.id, reason: "why" }, "m");
        return task.id;
      });

      expect((await store.tasks.require(id)).state).toBe("escalated");
      expect(await store.tasks.events(id)).toHaveLength(2);
      expect(await pendingKeys(store)).toEqual(["m"]);
    });

    it("everything in a write that throws is gone: tasks, events, outbox messages", async () => {
      const { store } = opened();
      const boom = new Boom("half-way");
      await expect(
        store.tasks.write(async () => {
          const task = await file(store, "a");
          await store.tasks.transition(task.id, "escalated", { actor: "U1", reason: "why" });
          await otherTurns();
          await store.outbox.add({ kind: "task_escalated", taskId: task.id, reason: "x" }, "m");
          throw boom;
        }),
      ).rejects.toBe(boom);

      expect(await filed(store, "a")).toBe(false);
      expect(await pendingKeys(store)).toEqual([]);
    });

    it('a nested write with undo "own" that throws is undone alone; the outer commits', async () => {
      const { store } = opened();
      await store.tasks.write(async () => {
        await file(store, "outer-before");
        await store.outbox.add({ kind: "review_report", month: "2026-01" }, "outer");
        await expect(
          store.tasks.write(
            async () => {
              await file(store, "inner");
              await store.outbox.add({ kind: "review_report", month: "2026-02" }, "inner");
              throw new Boom("inner");
            },
            { undo: "own" },
          ),
        ).rejects.toBeInstanceOf(Boom);
        await file(store, "outer-after");
      });

      expect(await filed(store, "outer-before")).toBe(true);
      expect(await filed(store, "outer-after")).toBe(true);
      expect(await filed(store, "inner")).toBe(false);
      expect(await pendingKeys(store)).toEqual(["outer"]);
    });

    it("a nested write that succeeds is undone with the outer write that throws", async () => {
      const { store } = opened();
      await expect(
        store.tasks.write(async () => {
          await store.tasks.write(() => file(store, "inner"), { undo: "own" });
          await file(store, "outer");
          throw new Boom("outer");
        }),
      ).rejects.toBeInstanceOf(Boom);

      expect(await filed(store, "inner")).toBe(false);
      expect(await filed(store, "outer")).toBe(false);
    });

    it('a nested write with undo "all" that throws undoes the outer write too', async () => {
      const { store } = opened();
      await expect(
        store.tasks.write(async () => {
          await file(store, "outer");
          await store.tasks.write(
            async () => {
              await file(store, "inner");
              throw new Boom("inner");
            },
            { undo: "all" },
          );
        }),
      ).rejects.toBeInstanceOf(Boom);

      expect(await filed(store, "outer")).toBe(false);
      expect(await filed(store, "inner")).toBe(false);
    });

    it('the failure of a nested write with undo "all" fails the outer even when caught', async () => {
      const { store } = opened();
      await expect(
        store.tasks.write(async () => {
          await file(store, "outer");
          await store.tasks
            .write(
              async () => {
                await file(store, "inner");
                throw new Boom("inner");
              },
              { undo: "all" },
            )
            .catch(() => undefined);
          await file(store, "outer-after");
        }),
      ).rejects.toBeInstanceOf(Boom);

      expect(await filed(store, "outer")).toBe(false);
      expect(await filed(store, "inner")).toBe(false);
      expect(await filed(store, "outer-after")).toBe(false);
    });

    it("a refused move inside a write is undone alone; the write goes on", async () => {
      const { store } = opened();
      const id = await store.tasks.write(async () => {
        const task = await file(store, "a");
        await expect(
          store.tasks.transition(task.id, "done", { actor: "U1", reason: "skip" }),
        ).rejects.toMatchObject({ code: "illegal_transition" });
        await store.tasks.transition(task.id, "escalated", { actor: "U1", reason: "why" });
        return task.id;
      });

      const events = await store.tasks.events(id);
      expect(events.map(({ to }) => to)).toEqual(["queued", "escalated"]);
    });

    it("writes side by side are each all or nothing", async () => {
      const { store } = opened();
      const keys = ["w0", "w1", "w2", "w3", "w4", "w5"];
      const results = await Promise.allSettled(
        keys.map((key, n) =>
          store.tasks.write(async () => {
            const task = await file(store, key);
            await otherTurns();
            await store.outbox.add({ kind: "task_escalated", taskId: task.id, reason: key }, key);
            await otherTurns();
            if (n % 2 === 1) throw new Boom(key);
            await store.tasks.transition(task.id, "escalated", { actor: "U1", reason: key });
          }),
        ),
      );

      expect(results.map(({ status }) => status)).toEqual([
        "fulfilled",
        "rejected",
        "fulfilled",
        "rejected",
        "fulfilled",
        "rejected",
      ]);
      expect(await pendingKeys(store)).toEqual(["w0", "w2", "w4"]);
      for (const [n, key] of keys.entries()) {
        const task = await store.tasks.findByDedupeKey("contract", key);
        if (n % 2 === 1) {
          expect(task).toBeUndefined();
        } else {
          expect(task?.state).toBe("escalated");
          expect(await store.tasks.events(task!.id)).toHaveLength(2);
        }
      }
    });

    it("a call outside a write is not part of a write open meanwhile", async () => {
      const { store } = opened();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let started!: () => void;
      const inside = new Promise<void>((resolve) => {
        started = resolve;
      });
      const failing = store.tasks.write(async () => {
        await file(store, "inside");
        started();
        await gate;
        throw new Boom("rolled back");
      });
      await inside;
      const outside = file(store, "outside");
      await otherTurns();
      release();

      await expect(failing).rejects.toBeInstanceOf(Boom);
      await outside;
      expect(await filed(store, "outside")).toBe(true);
      expect(await filed(store, "inside")).toBe(false);
    });

    it("afterCommit inside a write is told once the write has committed", async () => {
      const { store } = opened();
      const heard: { error?: Error; filed: boolean }[] = [];
      await store.tasks.write(async () => {
        await file(store, "told");
        store.tasks.afterCommit((error) => {
          // (Read synchronously through a promise later: noted now, checked after.)
          heard.push({ error, filed: false });
        });
        await otherTurns();
        expect(heard).toEqual([]);
      });
      await store.committed();
      expect(heard).toEqual([{ error: undefined, filed: false }]);
      expect(await filed(store, "told")).toBe(true);
    });

    it("afterCommit inside a write that fails is told the error", async () => {
      const { store } = opened();
      const heard: (Error | undefined)[] = [];
      await expect(
        store.tasks.write(async () => {
          await file(store, "undone");
          store.tasks.afterCommit((error) => heard.push(error));
          throw new Boom("undone");
        }),
      ).rejects.toBeInstanceOf(Boom);
      expect(heard).toHaveLength(1);
      expect(heard[0]).toBeInstanceOf(Boom);
    });

    it("afterCommit in a nested write undone alone is told its error; the outer commits", async () => {
      const { store } = opened();
      const heard: string[] = [];
      await store.tasks.write(async () => {
        await file(store, "kept");
        await store.tasks
          .write(async () => {
            await file(store, "undone");
            store.tasks.afterCommit((error) => heard.push(`inner: ${error?.message}`));
            throw new Boom("inner");
          })
          .catch(() => undefined);
        store.tasks.afterCommit((error) => heard.push(`outer: ${error?.message}`));
      });
      await store.committed();
      expect(heard).toEqual(["inner: inner", "outer: undefined"]);
      expect(await filed(store, "kept")).toBe(true);
      expect(await filed(store, "undone")).toBe(false);
    });

    it("afterCommit in a grouped write is told once committed() would resolve", async () => {
      const { store } = opened();
      let told = false;
      await store.tasks.write(
        async () => {
          await file(store, "grouped");
          store.tasks.afterCommit((error) => {
            told = error === undefined;
          });
        },
        { commit: "grouped" },
      );
      await store.committed();
      expect(told).toBe(true);
    });

    it("afterCommit outside a write with nothing open is told at once", async () => {
      const { store } = opened();
      await file(store, "before");
      let told = false;
      store.tasks.afterCommit(() => {
        told = true;
      });
      expect(told).toBe(true);
    });

    it("a grouped write is there once committed() resolves", async () => {
      const { store } = opened();
      await store.tasks.write(() => file(store, "grouped"), { commit: "grouped" });
      await store.committed();
      expect(await filed(store, "grouped")).toBe(true);
    });
  });
}
