/**
 * A task's life through each face of storage, in one run: what moving the engine onto the
 * asynchronous ports would cost on SQLite, and what PostgreSQL costs beside it.
 * Run: `npx tsx bench/store-faces.ts [tasks]` (PostgreSQL at 127.0.0.1:5432, user postgres; the
 * database `test` is used only to create and drop a scratch database).
 *
 * Each task is filed (one write), claimed in batches of 8 (one write per claim), and finished
 * (one write: running → reviewing → done, its attempt closed, its done notice queued). The faces:
 * the synchronous SQLite store with every write committed at once, the same with the finishing
 * writes grouped (as the pool does), the asynchronous face over SQLite (every write its own
 * transaction, awaited), and the PostgreSQL store (one process, a pool of four connections).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { ManualClock } from "../src/core/clock.js";
import type { TransitionStep, WriteOptions } from "../src/core/ports.js";
import { asyncSqliteStore } from "../src/db/async-sqlite-store.js";
import { openPostgresStore } from "../src/db/pg/store.js";
import { openSqliteStore } from "../src/db/sqlite-store.js";
import type { Store } from "../src/db/store.js";
import { withScratchDatabase } from "./support/scratch-postgres.js";
import { benchTask, FILED } from "./support/tasks.js";

const TASKS = Number(process.argv[2] ?? 4000);
const CLAIM = 8;
const FINISH: TransitionStep[] = [
  { to: "reviewing", actor: "worker:bench", reason: "attempt 1 finished" },
  { to: "done", actor: "system", reason: "output check passed", patch: { leaseOwner: null } },
];

/** Tasks per second through a synchronous store; `finishing` says how the last write commits. */
function syncLife(finishing: WriteOptions): number {
  const dir = mkdtempSync(join(tmpdir(), "steward-bench-"));
  const store = openSqliteStore(join(dir, "steward.db"), new ManualClock(10_000));
  try {
    const started = performance.now();
    for (let i = 0; i < TASKS; i++) store.tasks.create(benchTask(i), FILED);
    for (;;) {
      const claimed = store.queue.claim("content", "bench", CLAIM, "bench", 60_000);
      if (claimed.length === 0) break;
      for (const { task: running, attemptId } of claimed) {
        store.tasks.write(() => {
          store.tasks.advance(running.id, FINISH, running);
          store.queue.finishAttempt(attemptId, "succeeded");
          store.outbox.add({ kind: "done", taskId: running.id } as never, `done:${running.id}`);
        }, finishing);
      }
    }
    store.tasks.commit();
    return TASKS / ((performance.now() - started) / 1000);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Tasks per second through an asynchronous store. */
async function asyncLife(store: Store<"async">): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < TASKS; i++) await store.tasks.create(benchTask(i), FILED);
  for (;;) {
    const claimed = await store.queue.claim("content", "bench", CLAIM, "bench", 60_000);
    if (claimed.length === 0) break;
    for (const { task: running, attemptId } of claimed) {
      await store.tasks.write(async () => {
        await store.tasks.advance(running.id, FINISH, running);
        await store.queue.finishAttempt(attemptId, "succeeded");
        await store.outbox.add({ kind: "done", taskId: running.id } as never, `done:${running.id}`);
      });
    }
  }
  await store.committed();
  return TASKS / ((performance.now() - started) / 1000);
}

async function asyncSqlite(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "steward-bench-"));
  const store = asyncSqliteStore(openSqliteStore(join(dir, "steward.db"), new ManualClock(10_000)));
  try {
    return await asyncLife(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgres(): Promise<number> {
  return withScratchDatabase("faces", async (url) => {
    const store = await openPostgresStore(url, new ManualClock(10_000), { max: 4 });
    try {
      return await asyncLife(store);
    } finally {
      await store.close();
    }
  });
}

const rate = (perSecond: number) => `${Math.round(perSecond).toLocaleString("en")} tasks/s`;
console.log(
  `${TASKS} tasks, claims of ${CLAIM}; ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}`,
);
console.log(`SQLite, synchronous, every write committed at once: ${rate(syncLife({}))}`);
console.log(
  `SQLite, synchronous, finishing writes grouped:      ${rate(syncLife({ commit: "grouped" }))}`,
);
console.log(`SQLite, asynchronous face:                         ${rate(await asyncSqlite())}`);
console.log(`PostgreSQL, one process:                           ${rate(await postgres())}`);
