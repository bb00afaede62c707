/**
 * Cost of one status-checker run (`runChecks`) on 100 000 active tasks, against a naive full
 * scan of the active tasks filtered in JS. Run: `npx tsx bench/monitor.ts`.
 *
 * The database (a fresh SQLite file in a temp dir, WAL, the real migrations) holds:
 * - 100 000 active tasks across the default categories and the six active states, weighted
 *   like a backlog (mostly queued). How long each has been in its state follows its
 *   (category, state) history (log-normal, σ 0.5) for 97%; the other 3% are stuck: somewhere
 *   between their stall limit (or 3× the median where no limit is set) and three days.
 *   Escalated tasks: 30% ran out of attempts; retry_wait: a quarter are on their last retry.
 * - 40 000 done tasks over the last 30 days with their full event history (intake → queued →
 *   running → reviewing → done; some through needs_clarification, retry_wait, escalated): the
 *   completed stays the medians come from. 0.2% were never delivered; `content` gets
 *   `then: admin` for this run (the default config has no pipeline) and 0.2% of its done tasks
 *   lack their next step.
 * - 300 escalations: 60 open (posted 0–8 h ago; `remind_after` is 4 h), 40 staged, the rest
 *   resolved.
 *
 * Timed, wall clock and this process's CPU time (on a shared machine the two differ): the first
 * run (cold: reads the stay history, writes every anomaly); a run one minute later after the 300
 * longest-queued tasks started; steady runs with nothing changed (p50 of 10) — all with the
 * stay history kept between runs, as the schedule does; steady runs that re-read the history
 * each time; the cold history read alone; and, as the peer in the same process on the same
 * file, `SELECT * FROM tasks WHERE state IN (active)` with the stall-threshold and retry rules
 * applied in JS (p50 of 3).
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { loadConfigFile } from "../src/config/load.js";
import type { Config } from "../src/config/schema.js";
import { ManualClock } from "../src/core/clock.js";
import { ACTIVE_STATES, type TaskState } from "../src/core/states.js";
import { asyncSqliteStore } from "../src/db/async-sqlite-store.js";
import { type OpenDatabase, openDatabase } from "../src/db/connection.js";
import { MonitorQueries } from "../src/db/monitor-queries.js";
import { sqliteStore } from "../src/db/sqlite-store.js";
import { type CheckSummary, runChecks } from "../src/monitor/checker.js";
import { StayHistory } from "../src/monitor/history.js";
import type { MonitorStore } from "../src/monitor/store.js";
import { mulberry32 } from "./support/random.js";

const ACTIVE_TASKS = 100_000;
const DONE_TASKS = 40_000;
const ESCALATIONS = 300;
const SEED = 7;
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MAX_ATTEMPTS = 3;

/** Share of the active tasks in each state: a backlog, mostly queued. */
const STATE_WEIGHTS: readonly [TaskState, number][] = [
  ["queued", 78],
  ["needs_clarification", 8],
  ["escalated", 5],
  ["retry_wait", 5],
  ["running", 2],
  ["reviewing", 2],
];

/** Usual time in each state (the median of its stays), scaled per category below. */
const BASE_MEDIAN: Readonly<Record<TaskState, number>> = {
  intake: 0,
  needs_clarification: 2 * HOUR,
  queued: 8 * MINUTE,
  running: 3 * MINUTE,
  reviewing: 40_000,
  retry_wait: 2 * MINUTE,
  escalated: 3 * HOUR,
  done: 0,
  cancelled: 0,
};

type Random = () => number;

/** A log-normal draw around `median` (Box–Muller). */
function logNormal(random: Random, median: number, sigma: number): number {
  const u = Math.max(random(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  return Math.round(median * Math.exp(sigma * z));
}

function pick<T>(random: Random, weighted: readonly [T, number][]): T {
  const total = weighted.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [value, weight] of weighted) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return weighted[weighted.length - 1]![0];
}

interface Figures {
  tasks: number;
  events: number;
  buildMs: number;
  fileMb: number;
}

/** Builds the whole database in one transaction with raw prepared statements. */
function build(file: string, config: Config, random: Random): Figures {
  const started = performance.now();
  const database = openDatabase(file);
  const { sqlite } = database;
  const insertTask = sqlite.prepare(`
    INSERT INTO tasks (state, category, routing, attempts, max_attempts, next_run_at, requester,
      source, created_at, updated_at, state_since, next_id, delivered_at)
    VALUES (@state, @category, '{}', @attempts, ${MAX_ATTEMPTS}, @since, 'bench', 'bench',
      @created, @since, @since, @nextId, @deliveredAt)`);
  const insertEvent = sqlite.prepare(`
    INSERT INTO task_events (task_id, "from", "to", at, entered_at, actor, reason)
    VALUES (?, ?, ?, ?, ?, 'system', 'bench')`);
  const insertEscalation = sqlite.prepare(`
    INSERT INTO escalations (state, root_cause, summary, created_at, post_after, posted_at)
    VALUES (@state, 'transient:demo-writer', 'bench', @created, @postAfter, @postedAt)`);
  const categories = config.categories.map((category) => category.name);
  const scale = new Map(categories.map((name, index) => [name, 0.6 + index * 0.25]));
  const usual = (category: string, state: TaskState) =>
    BASE_MEDIAN[state] * (scale.get(category) ?? 1);
  // Events are inserted in time order at the end, so ids follow time as they do in production.
  // Each with when the task entered `from`, as Steward records it.
  const events: [taskId: number, from: TaskState, to: TaskState, at: number, entered: number][] =
    [];
  const event = (taskId: number, from: TaskState, to: TaskState, at: number, entered = at) => {
    events.push([taskId, from, to, at, entered]);
  };

  sqlite.transaction(() => {
    for (let index = 0; index < DONE_TASKS; index += 1) {
      const category = categories[Math.floor(random() * categories.length)]!;
      const path = historyPath(random);
      const stays = path
        .slice(1, -1)
        .map((state) => Math.max(1, logNormal(random, usual(category, state), 0.5)));
      // Finished at evenly spread times over the last 30 days, up to a minute ago.
      const at = NOW - MINUTE - Math.floor(((DONE_TASKS - index) / DONE_TASKS) * 30 * DAY);
      const times = [at - stays.reduce((sum, stay) => sum + stay, 0)];
      for (const stay of stays) times.push(times[times.length - 1]! + stay);
      const lost = random() < 0.002;
      const id = Number(
        insertTask.run({
          state: "done",
          category,
          attempts: path.filter((state) => state === "running").length,
          since: at,
          created: times[0],
          nextId: category === "content" && !lost ? 1 : null,
          deliveredAt: random() < 0.002 ? null : at + 1_000,
        }).lastInsertRowid,
      );
      for (let step = 1; step < path.length; step += 1) {
        event(id, path[step - 1]!, path[step]!, times[step - 1]!, times[Math.max(0, step - 2)]);
      }
    }

    for (let index = 0; index < ACTIVE_TASKS; index += 1) {
      const category = categories[Math.floor(random() * categories.length)]!;
      const state = pick(random, STATE_WEIGHTS);
      const limit = stallLimit(config, category, state);
      const stuck = random() < 0.03;
      const floor = limit ?? 3 * usual(category, state);
      const stayed = stuck
        ? floor + Math.floor(random() * (3 * DAY - floor))
        : logNormal(random, usual(category, state), 0.5);
      const since = NOW - Math.max(0, stayed);
      const created = since - Math.floor(random() * HOUR);
      const id = Number(
        insertTask.run({
          state,
          category,
          attempts: attemptsFor(state, random),
          since,
          created,
          nextId: null,
          deliveredAt: null,
        }).lastInsertRowid,
      );
      if (state === "queued" || state === "needs_clarification") {
        event(id, "intake", state, since);
      } else {
        event(id, "intake", "queued", created);
        event(id, "queued", state, since, created);
      }
    }

    events.sort((a, b) => a[3] - b[3]);
    for (const row of events) insertEvent.run(...row);

    for (let index = 0; index < ESCALATIONS; index += 1) {
      const kind = index < 60 ? "open" : index < 100 ? "staged" : "resolved";
      const created = NOW - Math.floor(random() * (kind === "resolved" ? 30 * DAY : 8 * HOUR));
      insertEscalation.run({
        state: kind,
        created,
        postAfter: created + 5 * MINUTE,
        postedAt: kind === "staged" ? null : created + 5 * MINUTE,
      });
    }
  })();
  database.close();
  return {
    tasks: DONE_TASKS + ACTIVE_TASKS,
    events: events.length,
    buildMs: performance.now() - started,
    fileMb: statSync(file).size / 1_048_576,
  };
}

function stallLimit(config: Config, category: string, state: TaskState): number | undefined {
  const limits: Partial<Record<TaskState, number>> | undefined = config.categories.find(
    (candidate) => candidate.name === category,
  )?.limits.stall;
  return limits?.[state];
}

/** The states a finished task went through, first to last. */
function historyPath(random: Random): TaskState[] {
  const path: TaskState[] = ["intake"];
  if (random() < 0.08) path.push("needs_clarification");
  path.push("queued", "running");
  if (random() < 0.1) path.push("retry_wait", "queued", "running");
  if (random() < 0.03) path.push("escalated", "queued", "running");
  path.push("reviewing", "done");
  return path;
}

function attemptsFor(state: TaskState, random: Random): number {
  switch (state) {
    case "retry_wait":
      return random() < 0.75 ? 1 : 2;
    case "escalated":
      return random() < 0.3 ? MAX_ATTEMPTS : 1;
    case "running":
    case "reviewing":
      return 1 + Math.floor(random() * MAX_ATTEMPTS);
    default:
      return 0;
  }
}

/** The peer: every active task into JS, then the threshold and retry rules as plain loops. */
function naiveScan(file: string, config: Config, now: number): Timed & { found: number } {
  const database = openDatabase(file, { migrate: false });
  const states = ACTIVE_STATES.map((state) => `'${state}'`).join(", ");
  const statement = database.sqlite.prepare(`SELECT * FROM tasks WHERE state IN (${states})`);
  const limits = new Map<string, Partial<Record<TaskState, number>>>(
    config.categories.map((category) => [category.name, category.limits.stall]),
  );
  const started = performance.now();
  const cpu = process.cpuUsage();
  const rows = statement.all() as {
    id: number;
    state: TaskState;
    category: string;
    state_since: number;
    attempts: number;
    max_attempts: number;
  }[];
  let found = 0;
  for (const row of rows) {
    const limit = limits.get(row.category)?.[row.state];
    if (limit !== undefined && now - row.state_since > limit) found += 1;
    if (row.state === "escalated" && row.attempts >= row.max_attempts) found += 1;
    if (row.state === "retry_wait" && row.attempts === row.max_attempts - 1) found += 1;
  }
  const timed = { durationMs: performance.now() - started, cpuMs: cpuMs(cpu) };
  database.close();
  return { ...timed, found };
}

/** The first refresh of a stay history: every state's most recent stays, per state. */
async function coldHistory(queries: MonitorStore<"async">): Promise<Timed & { stays: number }> {
  const history = new StayHistory();
  const problems: string[] = [];
  const started = performance.now();
  const cpu = process.cpuUsage();
  await history.refresh((state, after, limit) => queries.stays(state, after, limit, problems));
  return { durationMs: performance.now() - started, cpuMs: cpuMs(cpu), stays: history.size };
}

/** Some activity between two runs: the longest-queued tasks start, with their events. */
function startOldestQueued(database: OpenDatabase, count: number, at: number): number {
  const { sqlite } = database;
  const ids = sqlite
    .prepare(
      `SELECT id FROM tasks INDEXED BY tasks_stall
       WHERE state NOT IN ('done', 'cancelled') AND state = 'queued'
       ORDER BY state_since LIMIT ?`,
    )
    .pluck()
    .all(count) as number[];
  const start = sqlite.prepare(
    "UPDATE tasks SET state = 'running', state_since = ?, updated_at = ?, attempts = attempts + 1 WHERE id = ?",
  );
  const event = sqlite.prepare(
    `INSERT INTO task_events (task_id, "from", "to", at, actor, reason) VALUES (?, 'queued', 'running', ?, 'bench', 'bench')`,
  );
  sqlite.transaction(() => {
    for (const id of ids) {
      start.run(at, at, id);
      event.run(id, at);
    }
  })();
  return ids.length;
}

/** `SEARCH tasks USING INDEX tasks_stall (…)` → `tasks_stall`. */
function indexUsed(step: string): string {
  return (
    /USING (?:COVERING )?INDEX (\w+)/.exec(step)?.[1] ?? (/PRIMARY KEY/.test(step) ? "rowid" : step)
  );
}

/** Wall time, and the CPU time this process used: on a busy machine the first waits for a core. */
interface Timed {
  durationMs: number;
  cpuMs: number;
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

/** The run with the median wall time. */
function median<T extends Timed>(runs: T[]): T {
  return [...runs].sort((a, b) => a.durationMs - b.durationMs)[Math.floor((runs.length - 1) / 2)]!;
}

function times(run: Timed): string {
  return `${run.durationMs.toFixed(1).padStart(8)} ms wall ${run.cpuMs.toFixed(1).padStart(8)} ms cpu`;
}

function line(label: string, value: string): void {
  console.log(`  ${label.padEnd(72)}${value}`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "steward-bench-monitor-"));
  const file = join(dir, "steward.db");
  try {
    const base = loadConfigFile("config/steward.yaml", {});
    const config: Config = {
      ...base,
      categories: base.categories.map((category) =>
        // biome-ignore lint/suspicious/noThenProperty: the category's pipeline step is `then:`
        category.name === "content" ? { ...category, then: "admin" } : category,
      ),
    };
    const figures = build(file, config, mulberry32(SEED));
    console.log(
      `status checker bench · node ${process.version} · ${cpus().length} CPUs · ` +
        `load ${loadavg()
          .map((load) => load.toFixed(1))
          .join(" ")}`,
    );
    console.log(
      `database: ${figures.tasks.toLocaleString("en")} tasks (${ACTIVE_TASKS.toLocaleString("en")} active), ` +
        `${figures.events.toLocaleString("en")} events, ${ESCALATIONS} escalations, ` +
        `${figures.fileMb.toFixed(0)} MB, built in ${(figures.buildMs / 1000).toFixed(1)} s`,
    );

    const database = openDatabase(file);
    const clock = new ManualClock(NOW);
    const history = new StayHistory();
    // The checker as the engine runs it: over the store's asynchronous face.
    const store = asyncSqliteStore(sqliteStore(database, clock));
    const { monitor, outbox, processes } = store;
    const deps = { config, queries: monitor, outbox, processes, history };
    const run = async (at: number, kept = true): Promise<CheckSummary & Timed> => {
      clock.set(at);
      const cpu = process.cpuUsage();
      const summary = await runChecks(kept ? deps : { ...deps, history: undefined }, at);
      return { ...summary, cpuMs: cpuMs(cpu) };
    };
    const runs = async (count: number, at: number, kept = true) => {
      const timed: (CheckSummary & Timed)[] = [];
      for (let index = 0; index < count; index++) timed.push(await run(at, kept));
      return timed;
    };

    const first = await run(NOW);
    const later = NOW + MINUTE;
    const moved = startOldestQueued(database, 300, later);
    const second = await run(later);
    const steady = await runs(10, later);
    const fresh = await runs(3, later, false);
    const cold = await coldHistory(store.monitor);
    const queries = new MonitorQueries(database.sqlite);
    const byRule = database.sqlite
      .prepare(
        "SELECT rule, count(*) AS n FROM anomalies WHERE resolved_at IS NULL GROUP BY rule ORDER BY rule",
      )
      .all() as { rule: string; n: number }[];
    const plans = Object.entries(queries.plans()).map(
      ([name, plan]) => `${name} → ${plan.map(indexUsed).join(" + ")}`,
    );
    database.close();
    const naive = Array.from({ length: 3 }, () => naiveScan(file, config, later));

    console.log("runChecks (index-driven reads, anomalies written in one transaction):");
    line(
      `first run: ${history.size.toLocaleString("en")} stays read, ${first.raised} raised, ${first.reminded} reminders`,
      times(first),
    );
    line(
      `second run +1 min, ${moved} oldest queued started: ${second.raised} raised, ${second.resolved} cleared`,
      times(second),
    );
    line("steady run, nothing changed (p50 of 10)", times(median(steady)));
    line("steady run re-reading the stay history each time (p50 of 3)", times(median(fresh)));
    line(
      `  of which the cold stay-history read (${cold.stays.toLocaleString("en")} stays)`,
      times(cold),
    );
    console.log("peer, same file, same process:");
    line(
      `naive: SELECT * FROM tasks WHERE state IN (active) + JS rules (p50 of 3)`,
      times(median(naive)),
    );
    console.log(
      `open anomalies by rule: ${byRule.map((row) => `${row.rule} ${row.n}`).join(", ")}`,
    );
    console.log(`reads: ${plans.join("; ")}`);
    const problems = [...first.problems, ...second.problems];
    if (problems.length > 0) console.log(`problems: ${problems.join("; ")}`);
    // The scheduled runs are the target; the first run after a start also reads the stay
    // history cold and, on this seeded file, raises every anomaly at once: shown on its own.
    const scheduled = [second, median(steady)];
    const met = scheduled.every((timed) => timed.durationMs < 100);
    console.log(
      `target < 100 ms per scheduled run (second, steady): ${met ? "met" : "not met on this machine"}; ` +
        `first run after start: ${first.durationMs.toFixed(0)} ms`,
    );
  } finally {
    if (process.env.KEEP === undefined) rmSync(dir, { recursive: true, force: true });
    else console.log(file);
  }
}

void main();
