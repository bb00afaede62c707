import { setTimeout as sleep } from "node:timers/promises";
import { Logger, makeWorkerUtils, run, type Task } from "graphile-worker";
import type { ScaleSystem } from "./scale-system.js";

/** The one task the bench queues: its payload says how long it waits. */
const TASK = "wait";

/** Errors only: a line per job (graphile-worker's default) would cost more than the job. */
const logger = new Logger(() => (level, message) => {
  if (level === "error") console.error(`graphile-worker: ${message}`);
});

/**
 * graphile-worker as a library, at its defaults but for `concurrency` and the logger: its
 * schema and jobs from `makeWorkerUtils` (`migrate`, one `addJobs`), a worker process's pool from
 * `run` with a task list of one task; a finished job is deleted, so what is left is the table's
 * count.
 */
export const graphileWorker: ScaleSystem = {
  name: "graphile-worker",

  async prepare(url, n, taskMs) {
    const utils = await makeWorkerUtils({ connectionString: url, logger });
    try {
      await utils.migrate();
      const jobs = Array.from({ length: n }, () => ({
        identifier: TASK,
        payload: { ms: taskMs },
      }));
      await utils.addJobs(jobs);
    } finally {
      await utils.release();
    }
  },

  async work(url, concurrency, ran) {
    const wait: Task = async (payload) => {
      await sleep((payload as { ms: number }).ms);
      ran();
    };
    const runner = await run({
      connectionString: url,
      concurrency,
      logger,
      noHandleSignals: true,
      taskList: { [TASK]: wait },
    });
    return { stop: () => runner.stop() };
  },

  async remaining(db) {
    const { rows } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM graphile_worker._private_jobs",
    );
    return rows[0]?.n ?? 0;
  },
};
