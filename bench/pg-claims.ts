/**
 * Claims per second on the PostgreSQL store, beside the SQLite store in the same run.
 * Run: `npx tsx bench/pg-claims.ts [tasks]` (PostgreSQL at 127.0.0.1:5432, user postgres; the
 * database `test` is used only to create and drop a scratch database).
 *
 * Each store gets `tasks` (default 2 000) queued tasks of one category, three priorities, then
 * is drained by claims of `limit` tasks (8: a pool with free slots; 1: one at a time), each
 * claim its own write. PostgreSQL: six claimers on two pools of four connections, as two
 * processes would be. SQLite: one claimer, as its one process is (each write commits now).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { ManualClock } from "../src/core/clock.js";
import { openDatabase } from "../src/db/connection.js";
import { openPostgresStore } from "../src/db/pg/store.js";
import { QueueStore } from "../src/db/queue-store.js";
import type { Store } from "../src/db/store.js";
import { TaskStore } from "../src/db/task-store.js";
import { withScratchDatabase } from "./support/scratch-postgres.js";
import { benchTask, FILED } from "./support/tasks.js";

const TASKS = Number(process.argv[2] ?? 2000);

async function postgres(limit: number): Promise<number> {
  return withScratchDatabase(`claims_${limit}`, async (url) => {
    const clock = new ManualClock(10_000);
    const stores: Store<"async">[] = [];
    try {
      for (let i = 0; i < 2; i++) stores.push(await openPostgresStore(url, clock, { max: 4 }));
      const [a, b] = stores as [Store<"async">, Store<"async">];
      for (let i = 0; i < TASKS; i += 100) {
        await a.tasks.write(async () => {
          for (let j = i; j < Math.min(i + 100, TASKS); j++)
            await a.tasks.create(benchTask(j, j % 3), FILED);
        });
      }
      const drain = async (store: Store<"async">, owner: string) => {
        let claimed = 0;
        for (;;) {
          const got = await store.queue.claim("content", "bench", limit, owner, 60_000);
          if (got.length === 0) return claimed;
          claimed += got.length;
        }
      };
      const started = performance.now();
      const claimers = [a, a, a, b, b, b].map((store, i) => drain(store, `claimer-${i}`));
      const total = (await Promise.all(claimers)).reduce((sum, n) => sum + n, 0);
      if (total !== TASKS) throw new Error(`claimed ${total} of ${TASKS}`);
      return performance.now() - started;
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
}

function sqlite(limit: number): number {
  const dir = mkdtempSync(join(tmpdir(), "steward-bench-"));
  const database = openDatabase(join(dir, "steward.db"));
  try {
    const clock = new ManualClock(10_000);
    const tasks = new TaskStore(database.db, clock, database.writes);
    const queue = new QueueStore(database.db, tasks, clock);
    for (let i = 0; i < TASKS; i += 100) {
      tasks.write(() => {
        for (let j = i; j < Math.min(i + 100, TASKS); j++) tasks.create(benchTask(j, j % 3), FILED);
      });
    }
    const started = performance.now();
    let claimed = 0;
    for (;;) {
      const got = tasks.write(() => queue.claim("content", "bench", limit, "claimer", 60_000));
      if (got.length === 0) break;
      claimed += got.length;
    }
    if (claimed !== TASKS) throw new Error(`claimed ${claimed} of ${TASKS}`);
    return performance.now() - started;
  } finally {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const perSecond = (ms: number) => Math.round((TASKS / ms) * 1000);
console.log(`${TASKS} tasks; ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}`);
console.log("| limit | PostgreSQL, 6 claimers on 2 pools | SQLite, 1 claimer |");
console.log("| ---: | ---: | ---: |");
for (const limit of [8, 1]) {
  const pgMs = await postgres(limit);
  const liteMs = sqlite(limit);
  console.log(`| ${limit} | ${perSecond(pgMs)}/s | ${perSecond(liteMs)}/s |`);
}
