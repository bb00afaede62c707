/**
 * The process phase of bench/throughput.ts alone, for comparing engines on a loaded machine.
 *
 *   npx tsx bench/process-phase.ts [--n 20000] [--concurrency 1] [--count-promises] [--unconfirmed] [--threads]
 *
 * One request goes through `engine.submit` (so the task is filed as a door files it); N−1 copies
 * of it are then written straight into the table in one write (no intake: the submit phase is
 * not measured here), and the engine processes all N as throughput.ts's Steward does (the
 * support category at concurrency C, a no-op runner, structural checks, done). Prints the CPU
 * time of the process (all threads) per task over the process phase; with `--count-promises`,
 * also the promises made per task (an async_hooks init hook, which itself slows the run and
 * makes each `await` one promise more, as AsyncLocalStorage's hooks do). The request is a
 * person's, routed by the rules, so each task done confirms the router (taught once the
 * completion commits); with `--unconfirmed` the copies come from a webhook and confirm nothing,
 * as no task did before confirmations (for comparing the engine alone with older commits). With `--threads`
 * (Linux), the CPU is also split between the main thread and the others (the garbage collector's
 * helpers, the checkpoint thread), and the phase's wall time is printed: on a noisy host, the
 * main thread's share is where an engine's change shows.
 */
import { createHook } from "node:async_hooks";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfigFile } from "../src/config/load.js";
import { systemClock } from "../src/core/clock.js";
import type { NewTask } from "../src/core/ports.js";
import { openDatabase } from "../src/db/connection.js";
import { sqliteStore } from "../src/db/sqlite-store.js";
import { Engine } from "../src/engine/engine.js";
import type { WorkerRunner } from "../src/workers/runner.js";
import { FILED } from "./support/tasks.js";
import { mainAndRest, threadTimes } from "./support/thread-cpu.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CATEGORY = "support";

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

async function main(): Promise<void> {
  const n = option("--n", 20_000);
  const concurrency = option("--concurrency", 1);
  const countPromises = process.argv.includes("--count-promises");
  let promises = 0;
  if (countPromises) {
    createHook({
      init(_id, type) {
        if (type === "PROMISE") promises++;
      },
    }).enable();
  }
  const config = loadConfigFile(join(ROOT, "config/steward.yaml"), {});
  const category = config.categories.find((candidate) => candidate.name === CATEGORY);
  if (category?.worker === undefined) throw new Error(`no category ${CATEGORY} with a worker`);
  category.limits.concurrency = concurrency;
  const dir = mkdtempSync(join(tmpdir(), "steward-process-"));
  const database = openDatabase(join(dir, "steward.db"), {
    backgroundCheckpoints: {
      onError: (message) => {
        throw new Error(`checkpoint failed: ${message}`);
      },
    },
  });
  await database.ready;
  const noop: WorkerRunner = async () => ({ output: "ok" });
  const engine = new Engine({
    config,
    configDir: join(ROOT, "config"),
    database,
    runners: new Map([[category.worker, noop]]),
    pollMs: 5,
  });
  let done = 0;
  let allDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  engine.onTaskChange((task) => {
    if (task.state === "done" && ++done === n) allDone();
  });

  const { task } = await engine.submit({
    source: "bench",
    requester: "bench",
    text: "Answer the refund request from customer 0 whose order arrived damaged",
  });
  // A task is a new task plus what happened to it: `create` reads only a new task's fields.
  const copy: NewTask = { ...task, parentId: null, dedupeKey: null };
  if (process.argv.includes("--unconfirmed")) copy.source = "webhook:bench";
  const store = sqliteStore(database, systemClock);
  store.tasks.write(() => {
    for (let i = 1; i < n; i++)
      store.tasks.create({ ...copy, objective: `${copy.objective} ${i}` }, FILED);
  });

  const promises0 = promises;
  const threads0 = process.argv.includes("--threads") ? threadTimes() : undefined;
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  await engine.start();
  await finished;
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - wall0;
  const threads = threads0 && mainAndRest(threads0, threadTimes()!);
  const made = promises - promises0;
  await engine.stop();
  database.close();
  rmSync(dir, { recursive: true, force: true });
  const perTask = (cpu.user + cpu.system) / n;
  console.log(
    `process phase, N=${n} C=${concurrency}: ${perTask.toFixed(1)} µs CPU a task` +
      (countPromises ? `, ${(made / n).toFixed(1)} promises a task` : "") +
      (threads === undefined
        ? ""
        : ` (main thread ${(threads.main / n).toFixed(1)}, other threads ${(threads.rest / n).toFixed(1)}; wall ${((wall * 1000) / n).toFixed(1)} µs a task)`),
  );
}

await main();
