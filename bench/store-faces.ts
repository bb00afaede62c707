/**
 * A task's life through each face of storage, in one run: what moving the engine onto the
 * asynchronous ports would cost on SQLite, and what PostgreSQL costs beside it.
 * Run: `npx tsx bench/store-faces.ts [tasks] [rounds]` (PostgreSQL at 127.0.0.1:5432, user
 * postgres; the database `test` is used only to create and drop a scratch database).
 *
 * Each task is filed (one write), claimed in batches of 8 (one write per claim), and finished
 * (one write: running → reviewing → done, its attempt closed, its done notice queued). The faces:
 * the synchronous SQLite store with every write committed at once, the same with the finishing
 * writes grouped (as the pool does), the asynchronous face over SQLite (every write its own
 * transaction, awaited), the same with the finishing writes grouped, and the PostgreSQL store (one
 * process, a pool of four connections).
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
/** The SQLite faces run in turn this many times, each at its best: a shared host's load varies. */
const ROUNDS = Number(process.argv[3] ?? 1);
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

/** Tasks per second through an asynchronous store; `finishing` says how the last write commits. */
async function asyncLife(store: Store<"async">, finishing: WriteOptions = {}): Promise<number> {
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
      }, finishing);
    }
  }
  await store.committed();
  return TASKS / ((performance.now() - started) / 1000);
}

async function asyncSqlite(finishing: WriteOptions): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "steward-bench-"));
  const store = asyncSqliteStore(openSqliteStore(join(dir, "steward.db"), new ManualClock(10_000)));
  try {
    return await asyncLife(store, finishing);
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
const line = (face: string, perSecond: number) =>
  console.log(`${`${face}:`.padEnd(54)}${rate(perSecond)}`);
const load = loadavg()[0]!.toFixed(1);
console.log(
  `${TASKS} tasks, claims of ${CLAIM}, best of ${ROUNDS}; ${cpus().length} cores, load ${load}`,
);
const sqliteFaces: [string, () => number | Promise<number>][] = [
  ["SQLite, synchronous, every write committed at once", () => syncLife({})],
  ["SQLite, synchronous, finishing writes grouped", () => syncLife({ commit: "grouped" })],
  ["SQLite, asynchronous face", () => asyncSqlite({})],
  ["SQLite, asynchronous face, finishing writes grouped", () => asyncSqlite({ commit: "grouped" })],
];
const best = new Map<string, number>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [face, life] of sqliteFaces) {
    best.set(face, Math.max(best.get(face) ?? 0, await life()));
  }
}
for (const [face] of sqliteFaces) line(face, best.get(face)!);
line("PostgreSQL, one process", await postgres());
