import { setTimeout as sleep } from "node:timers/promises";
import { parseConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import { systemClock } from "../../src/core/clock.js";
import { noRole } from "../../src/core/roles.js";
import { openStore } from "../../src/db/open-store.js";
import { Engine } from "../../src/engine/engine.js";
import type { WorkerRunner } from "../../src/workers/runner.js";
import type { ScaleSystem } from "./scale-system.js";
import { benchTask, FILED } from "./tasks.js";

/** The one category the bench queues, and its worker (replaced by the bench's runner). */
const CATEGORY = "wait";
const WORKER = "waiter";
/** Tasks created in one write while preparing. */
const BATCH = 100;

/** A config of one category at `concurrency`, and the catch-all every config has. */
function benchConfig(concurrency: number): Config {
  const yaml = [
    "categories:",
    `  - name: ${CATEGORY}`,
    "    description: Wait, for the scale bench",
    '    examples: ["wait 20 ms"]',
    `    worker: ${WORKER}`,
    `    limits: { concurrency: ${concurrency} }`,
    "  - name: unsorted",
    "    description: What fits nowhere",
    '    examples: ["anything else"]',
    "    catch_all: true",
    "workers:",
    `  ${WORKER}: { kind: demo, delay: 0 }`,
  ].join("\n");
  return parseConfig(yaml, "bench/scale.ts", {});
}

/** The task's wait, written in its objective as graphile-worker's is in its payload. */
const objectiveFor = (ms: number) => `wait ${ms} ms`;
const msOf = (objective: string) => Number(/^wait (\d+) ms$/.exec(objective)?.[1] ?? Number.NaN);

/**
 * Steward as a `steward worker` process runs it, on the library's terms: the PostgreSQL store
 * (`openStore`), an engine with the category's worker replaced by the bench's waiting runner,
 * started as a worker only (no HTTP, no roles), woken by LISTEN/NOTIFY. The tasks are created
 * straight in the store (as graphile-worker's `addJobs`), already queued; what is left is the
 * tasks not done.
 */
export const steward: ScaleSystem = {
  name: "steward",

  async prepare(url, n, taskMs) {
    const { store } = await openStore({ kind: "postgres", url }, systemClock);
    try {
      for (let first = 0; first < n; first += BATCH) {
        await store.tasks.write(async () => {
          for (let i = first; i < Math.min(n, first + BATCH); i++) {
            const task = benchTask(i);
            await store.tasks.create(
              {
                ...task,
                objective: objectiveFor(taskMs),
                category: CATEGORY,
                routing: { ...task.routing, category: CATEGORY },
              },
              FILED,
            );
          }
        });
      }
    } finally {
      await store.close();
    }
  },

  async work(url, concurrency, ran) {
    const wait: WorkerRunner = async (task, ctx) => {
      await sleep(msOf(task.brief.objective), undefined, { signal: ctx.signal });
      ran();
      return { output: "waited" };
    };
    const opened = await openStore({ kind: "postgres", url }, systemClock);
    const engine = new Engine({
      config: benchConfig(concurrency),
      configDir: ".",
      store: opened,
      runners: new Map([[WORKER, wait]]),
      workers: { concurrency },
    });
    const fail = (error: Error) => console.error(`steward: ${error.message}`);
    const wakeups = await opened.coordination!.listen(
      (category) => engine.pool.wake(category),
      fail,
    );
    await engine.start({ roles: noRole() });
    return {
      async stop() {
        await engine.stop();
        await wakeups.close();
        await opened.store.close();
      },
    };
  },

  async remaining(db) {
    const { rows } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM tasks WHERE state <> 'done'",
    );
    return rows[0]?.n ?? 0;
  },
};
