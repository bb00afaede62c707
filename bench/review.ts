/**
 * Monthly review cost: 1 000 000 task events (~150 000 tasks) seeded in one month, then
 * `buildReview` (SQL aggregates) timed against a naive peer that loads the month's events into JS
 * and aggregates there, and the chart timed on its own. Run: `npx tsx bench/review.ts`.
 *
 * One file over 400 lines on purpose: the seeding, both aggregations and the report read top to
 * bottom, so a reader can check the peer gets the same treatment.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { loadConfigFile } from "../src/config/load.js";
import { ManualClock } from "../src/core/clock.js";
import { asyncSqliteStore } from "../src/db/async-sqlite-store.js";
import { openDatabase } from "../src/db/connection.js";
import { createReviewQueries } from "../src/db/review-queries.js";
import { sqliteStore } from "../src/db/sqlite-store.js";
import { renderReviewChart } from "../src/review/chart.js";
import { monthPeriod } from "../src/review/period.js";
import type { ReviewQueries } from "../src/review/port.js";
import { buildReview, type Review } from "../src/review/report.js";
import { mulberry32 } from "./support/random.js";

const EVENTS = 1_000_000;
/** About how many tasks the mix below needs for EVENTS events, to spread them over the month. */
const EXPECTED_TASKS = 154_000;
const MONTH = "2026-03";
const SEED = 7;
const RUNS = 5;
const TARGET_MS = 1000;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const CATEGORIES: readonly [name: string, weight: number][] = [
  ["support", 25],
  ["content", 20],
  ["engineering", 15],
  ["research", 12],
  ["finance", 10],
  ["admin", 15],
  ["unsorted", 3],
];
const OBJECTIVES: Record<string, readonly string[]> = {
  support: ["Reply to the refund request from order", "Answer the ticket about invoice"],
  content: ["Draft the blog post about release", "Write the newsletter for week"],
  engineering: ["Fix the failing CI build on branch", "Add pagination to endpoint"],
  research: ["Compare email providers for plan", "Summarise competitor pricing for tier"],
  finance: ["Reconcile Stripe payouts for batch", "Categorise the expenses of account"],
  admin: ["Schedule a call with the accountant about", "Renew the domain for project"],
  unsorted: [
    "Translate the Shopify product descriptions into German for listing",
    "Translate the Shopify store FAQ into French for listing",
    "Record a podcast intro voice-over for episode",
    "Book flights to the Lisbon conference for trip",
  ],
};
const LOGIC_ERRORS = [
  "review rejected the output: missing acceptance criterion 'under 200 words' (attempt 2)",
  "review rejected the output: not valid JSON at position 118",
];

interface Seeded {
  tasks: number;
  events: number;
  attempts: number;
  escalations: number;
  anomalies: number;
}

/** Prepared inserts and the running counts, shared by the generators below. */
class Seeder {
  readonly counts: Seeded = { tasks: 0, events: 0, attempts: 0, escalations: 0, anomalies: 0 };
  private readonly insertTask: Database.Statement;
  private readonly insertEvent: Database.Statement;
  private readonly insertAttempt: Database.Statement;
  private readonly insertEscalation: Database.Statement;
  private readonly linkEscalation: Database.Statement;
  private readonly insertAnomaly: Database.Statement;
  /** Root cause and five-minute window → the escalation that batches them. */
  private readonly openEscalations = new Map<string, number>();

  constructor(
    sqlite: Database.Database,
    readonly random: () => number,
  ) {
    this.insertTask = sqlite.prepare(
      `INSERT INTO tasks (id, state, objective, category, routing, max_attempts, next_run_at,
        requester, source, created_at, updated_at, state_since)
       VALUES (?, ?, ?, ?, ?, 3, 0, 'U42', 'discord', ?, ?, ?)`,
    );
    this.insertEvent = sqlite.prepare(
      `INSERT INTO task_events (task_id, "from", "to", at, actor, reason, data)
       VALUES (?, ?, ?, ?, ?, '', ?)`,
    );
    this.insertAttempt = sqlite.prepare(
      `INSERT INTO attempts (task_id, number, worker, started_at, ended_at, outcome,
        failure_class, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertEscalation = sqlite.prepare(
      `INSERT INTO escalations (state, root_cause, failure_class, category, worker, summary,
        created_at, post_after, posted_at, resolved_at, resolution, resolved_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    );
    this.linkEscalation = sqlite.prepare(
      `INSERT INTO escalation_tasks (escalation_id, task_id, reason, added_at)
       VALUES (?, ?, '', ?)`,
    );
    this.insertAnomaly = sqlite.prepare(
      `INSERT INTO anomalies (rule, task_id, subject, detail, detected_at, resolved_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  /** An exponential wait around `mean`, so medians and p90s differ as they do in life. */
  wait(mean: number): number {
    return Math.max(1000, Math.round(-Math.log(1 - this.random()) * mean));
  }

  task(id: number, state: string, objective: string, category: string, at: number, end: number) {
    const routing = JSON.stringify({ category, classifier: "rules", rule: `${category}.keywords` });
    this.insertTask.run(id, state, objective, category, routing, at, end, end);
    this.counts.tasks++;
  }

  event(taskId: number, from: string, to: string, at: number, actor: string, data?: object) {
    this.insertEvent.run(taskId, from, to, at, actor, data ? JSON.stringify(data) : null);
    this.counts.events++;
  }

  attempt(
    taskId: number,
    number: number,
    worker: string,
    start: number,
    end: number,
    failure?: [string, string],
  ) {
    this.insertAttempt.run(
      taskId,
      number,
      worker,
      start,
      end,
      failure ? "failed" : "succeeded",
      failure?.[0] ?? null,
      failure?.[1] ?? null,
    );
    this.counts.attempts++;
  }

  /** Escalations with one root cause within five minutes share one message, as the batcher does. */
  escalate(
    taskId: number,
    rootCause: string,
    category: string,
    at: number,
    resolution?: [string, number],
  ) {
    const window = `${rootCause}@${Math.floor(at / (5 * MINUTE))}`;
    let open = this.openEscalations.get(window);
    if (open === undefined) {
      const [failureClass, , worker] = rootCause.split("|");
      const row = this.insertEscalation.get(
        resolution ? "resolved" : "open",
        rootCause,
        failureClass,
        category,
        worker,
        rootCause.startsWith("none")
          ? `tasks fit no category`
          : `tasks in \`${category}\` failed (logic): review rejected the output`,
        at,
        at + 5 * MINUTE,
        at + 5 * MINUTE,
        resolution ? resolution[1] : null,
        resolution ? resolution[0] : null,
        resolution ? "U1001" : null,
      ) as { id: number };
      open = row.id;
      this.openEscalations.set(window, open);
      this.counts.escalations++;
    }
    this.linkEscalation.run(open, taskId, at);
  }

  anomaly(rule: string, taskId: number, detail: string, at: number, resolvedAt: number | null) {
    this.insertAnomaly.run(rule, taskId, `T-${taskId}`, detail, at, resolvedAt);
    this.counts.anomalies++;
  }
}

/** One task's life as it is generated: its clock, its state, its attempts. */
class Life {
  state = "intake";
  private attempts = 0;

  constructor(
    private readonly seeder: Seeder,
    readonly id: number,
    readonly category: string,
    public at: number,
  ) {}

  get worker(): string {
    return `${this.category}-agent`;
  }

  move(to: string, actor = "system", data?: object): void {
    this.seeder.event(this.id, this.state, to, this.at, actor, data);
    this.state = to;
  }

  /** Queued → running → (retry_wait | reviewing → done). */
  run(failure?: [string, string]): void {
    this.at += this.seeder.wait(5 * MINUTE);
    this.move("running", `worker:${this.worker}`);
    const start = this.at;
    this.at += this.seeder.wait(3 * MINUTE);
    this.seeder.attempt(this.id, ++this.attempts, this.worker, start, this.at, failure);
    if (failure) {
      this.move("retry_wait");
      return;
    }
    this.move("reviewing");
    this.at += this.seeder.wait(30_000);
    this.move("done");
  }

  /** Fails `times` times, each time back to the queue after a backoff. */
  fail(times: number, failure: [string, string]): void {
    for (let i = 0; i < times; i++) {
      this.run(failure);
      this.at += this.seeder.wait(2 * MINUTE);
      this.move("queued");
    }
  }
}

/** One task's life: events, attempts, and any escalation or anomaly it caused. */
function seedTask(seeder: Seeder, id: number, category: string, createdAt: number): void {
  const life = new Life(seeder, id, category, createdAt);
  const objective = `${seeder.pick(OBJECTIVES[category]!)} ${id}`;
  const r = seeder.random();
  if (category === "unsorted") catchAllLife(seeder, life, objective, r);
  else {
    life.move("queued", "U42", { rule: `${category}.keywords` });
    if (r < 0.4) life.run();
    else if (r < 0.7) {
      life.fail(1 + Math.floor(seeder.random() * 3), ["transient", "timeout after 30000 ms"]);
      life.run();
    } else if (r < 0.8) {
      life.fail(1 + Math.floor(seeder.random() * 2), ["logic", seeder.pick(LOGIC_ERRORS)]);
      life.run();
    } else if (r < 0.88) escalatedLife(seeder, life);
    else if (r < 0.92) {
      life.at += seeder.wait(5 * MINUTE);
      life.move("running", `worker:${life.worker}`);
    } else if (r < 0.97) {
      life.at += seeder.wait(10 * MINUTE);
      life.move("cancelled", "U42", { action: "cancel" });
    } else {
      // Flagged as stalled, then moved on by itself: the false alarm the review should catch.
      life.at += seeder.wait(HOUR);
      const resolvedAt = life.at + seeder.wait(20 * MINUTE);
      seeder.anomaly("stall.queued", id, "queued longer than its threshold", life.at, resolvedAt);
      life.at = resolvedAt;
      life.run();
    }
  }
  seeder.task(id, life.state, objective, category, createdAt, life.at);
}

/** Fits no category: escalated at once; Shopify translations are rerouted to content. */
function catchAllLife(seeder: Seeder, life: Life, objective: string, r: number): void {
  life.move("escalated", "U42", { rule: "catch_all" });
  const escalatedAt = life.at;
  life.at += seeder.wait(4 * HOUR);
  const rerouted = objective.includes("Shopify") && r < 0.8;
  const cancelled = !rerouted && r < 0.5;
  const resolution = rerouted ? "rerouted:content" : cancelled ? "cancelled" : undefined;
  seeder.escalate(
    life.id,
    "none|unsorted|-|fits no category",
    life.category,
    escalatedAt,
    resolution === undefined ? undefined : [resolution, life.at],
  );
  if (rerouted) {
    life.move("queued", "U1001", { action: "reroute", from: "unsorted", to: "content" });
    life.run();
  } else if (cancelled) life.move("cancelled", "U1001", { action: "cancel" });
}

/** Failed twice, escalated, then an operator retried, rerouted or cancelled it. */
function escalatedLife(seeder: Seeder, life: Life): void {
  life.fail(1, ["logic", LOGIC_ERRORS[0]!]);
  life.run(["logic", LOGIC_ERRORS[0]!]);
  life.move("escalated");
  const escalatedAt = life.at;
  life.at += seeder.wait(3 * HOUR);
  const r = seeder.random();
  const to = { content: "support", research: "engineering" }[life.category] ?? "research";
  const resolution = r < 0.5 ? "retried" : r < 0.75 ? `rerouted:${to}` : "cancelled";
  const rootCause = `logic|${life.category}|${life.worker}|review rejected`;
  seeder.escalate(life.id, rootCause, life.category, escalatedAt, [resolution, life.at]);
  if (r < 0.5) {
    life.move("queued", "U1001", { action: "retry" });
    life.run();
  } else if (r < 0.75) {
    life.move("queued", "U1002", { action: "reroute", from: life.category, to });
    life.run();
  } else life.move("cancelled", "U1001", { action: "cancel" });
}

function seed(sqlite: Database.Database, start: number, end: number): Seeded {
  const random = mulberry32(SEED);
  const seeder = new Seeder(sqlite, random);
  const totalWeight = CATEGORIES.reduce((sum, [, weight]) => sum + weight, 0);
  const categoryOf = () => {
    let pick = random() * totalWeight;
    for (const [name, weight] of CATEGORIES) {
      pick -= weight;
      if (pick < 0) return name;
    }
    return CATEGORIES[0]![0];
  };
  sqlite.transaction(() => {
    // A task row is written once its life is known, after its events: check keys at commit.
    sqlite.pragma("defer_foreign_keys = ON");
    // Creation times spread over the month, leaving a day for the last ones to finish; ids
    // follow creation time, as autoincrement does in production.
    const span = end - start - 86_400_000;
    for (let id = 1; seeder.counts.events < EVENTS; id++) {
      const slot = Math.min(id - 1 + random(), EXPECTED_TASKS);
      seedTask(seeder, id, categoryOf(), start + Math.floor((slot / EXPECTED_TASKS) * span));
    }
  })();
  return seeder.counts;
}

// ── The naive peer ──────────────────────────────────────────────────────────────────────────

interface EventRow {
  taskId: number;
  from: string;
  to: string;
  at: number;
  actor: string;
  data: string | null;
}

/** Loads every event of the month (and the tasks' categories) and aggregates in JS. */
function naiveReview(sqlite: Database.Database, start: number, end: number) {
  const events = sqlite
    .prepare(
      `SELECT task_id AS taskId, "from", "to", at, actor, data FROM task_events
       WHERE at >= ? AND at < ? ORDER BY id`,
    )
    .all(start, end) as EventRow[];
  const categories = new Map(
    (
      sqlite
        .prepare("SELECT id, category FROM tasks WHERE created_at >= ? AND created_at < ?")
        .all(start, end) as { id: number; category: string }[]
    ).map((row) => [row.id, row.category]),
  );
  const life = new Map<number, { created: number; state: string; doneAt?: number }>();
  const interventions = new Map<string, number>();
  const reroutes = new Map<string, number>();
  for (const event of events) {
    if (event.from === "intake") life.set(event.taskId, { created: event.at, state: event.to });
    const task = life.get(event.taskId);
    if (task !== undefined) {
      task.state = event.to;
      if (event.to === "done") task.doneAt = event.at;
    }
    const data = event.data === null ? null : (JSON.parse(event.data) as Record<string, string>);
    if (data?.action !== undefined) {
      const key = `${data.action}|${event.actor}`;
      interventions.set(key, (interventions.get(key) ?? 0) + 1);
      if (data.action === "reroute") {
        const pair = `${data.from}→${data.to}`;
        reroutes.set(pair, (reroutes.get(pair) ?? 0) + 1);
      }
    }
  }
  const byCategory = new Map<string, { created: number; done: number; durations: number[] }>();
  for (const [taskId, task] of life) {
    const category = categories.get(taskId) ?? "?";
    const figures = byCategory.get(category) ?? { created: 0, done: 0, durations: [] };
    figures.created++;
    if (task.state === "done" && task.doneAt !== undefined) {
      figures.done++;
      figures.durations.push(task.doneAt - task.created);
    }
    byCategory.set(category, figures);
  }
  const latency = [...byCategory].map(([category, figures]) => {
    const sorted = figures.durations.sort((a, b) => a - b);
    // Nearest rank: the first value at least a share p of the values are at or below.
    const rank = (p: number) => sorted.find((_, index) => (index + 1) / sorted.length >= p) ?? 0;
    return {
      category,
      created: figures.created,
      done: figures.done,
      median: rank(0.5),
      p90: rank(0.9),
    };
  });
  return { events: events.length, latency, interventions, reroutes };
}

// ── Timing ──────────────────────────────────────────────────────────────────────────────────

/** Wall time, and the CPU time this process spent (less inflated on a busy machine). */
function time<T>(work: () => T): { ms: number; cpuMs: number; result: T } {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = work();
  const used = process.cpuUsage(cpu);
  return {
    ms: Number(process.hrtime.bigint() - start) / 1e6,
    cpuMs: (used.user + used.system) / 1000,
    result,
  };
}

/** The machine's speed on a fixed job, so figures from a loaded box can be read fairly. */
function reference(): string {
  const values = Float64Array.from({ length: 1_000_000 }, mulberry32(1));
  const sort = time(() => values.sort());
  const load = loadavg()
    .map((value) => value.toFixed(1))
    .join(" ");
  return (
    `machine: sorting 1M doubles took ${sort.ms.toFixed(0)} ms (an idle laptop: ~70 ms); ` +
    `load average ${load} on ${availableParallelism()} cores`
  );
}

/** The same queries, each call's wall time kept under its name: where a review's time goes. */
function timed(queries: ReviewQueries, times: Map<string, number[]>): ReviewQueries {
  const wrapped: Record<string, unknown> = { ...queries };
  for (const [name, query] of Object.entries(queries)) {
    if (name === "snapshot") continue;
    wrapped[name] = (...args: unknown[]) => {
      const call = time(() => (query as (...args: unknown[]) => unknown)(...args));
      times.set(name, [...(times.get(name) ?? []), call.ms]);
      return call.result;
    };
  }
  return wrapped as unknown as ReviewQueries;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** The SQL review and the naive one must agree where they overlap, or the timing means nothing. */
function agree(review: Review, naive: ReturnType<typeof naiveReview>): boolean {
  const sqlCreated = review.volume.created;
  const naiveCreated = naive.latency.reduce((sum, row) => sum + row.created, 0);
  const sqlActions = review.interventions.total;
  const naiveActions = [...naive.interventions.values()].reduce((sum, n) => sum + n, 0);
  const latencyAgrees = naive.latency.every((row) => {
    const category = review.categories.find((figures) => figures.category === row.category);
    return category?.toDone?.medianMs === row.median && category.toDone.p90Ms === row.p90;
  });
  return sqlCreated === naiveCreated && sqlActions === naiveActions && latencyAgrees;
}

const n = (value: number) => value.toLocaleString("en-US");
const ms = (value: number) => `${value.toFixed(0)} ms`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "steward-bench-review-"));
  try {
    const file = join(dir, "steward.db");
    const database = openDatabase(file);
    const config = loadConfigFile("config/steward.yaml", {});
    const period = monthPeriod(MONTH, "UTC");
    const seeding = time(() => seed(database.sqlite, period.start, period.end));
    const counts = seeding.result;
    console.log(
      `seeded ${n(counts.events)} events, ${n(counts.tasks)} tasks, ${n(counts.attempts)} ` +
        `attempts, ${n(counts.escalations)} escalations, ${n(counts.anomalies)} anomalies ` +
        `in ${(seeding.ms / 1000).toFixed(1)} s (${(statSync(file).size / 1e6).toFixed(0)} MB)`,
    );

    // The review as the engine builds it: over the store's asynchronous face, each query timed.
    const perQuery = new Map<string, number[]>();
    const clock = new ManualClock(period.end);
    const queries = timed(createReviewQueries(database.sqlite), perQuery);
    const { review: faced } = asyncSqliteStore({
      ...sqliteStore(database, clock),
      review: queries,
    });
    const first = await timeAsync(() => buildReview(faced, config, MONTH));
    perQuery.clear();
    const runs: Awaited<ReturnType<typeof timeAsync<Review>>>[] = [];
    for (let run = 0; run < RUNS; run++)
      runs.push(await timeAsync(() => buildReview(faced, config, MONTH)));
    const naive = Array.from({ length: 3 }, () =>
      time(() => naiveReview(database.sqlite, period.start, period.end)),
    );
    const chart = await timeAsync(() => renderReviewChart(first.result));
    if (chart.result === undefined) throw new Error("the bench's month has nothing to chart");
    const png = chart.result;
    const chartFile = join(tmpdir(), "steward-bench-review.png");
    writeFileSync(chartFile, png);
    database.close();

    const review = first.result;
    const reviewMs = median(runs.map((run) => run.ms));
    console.log(reference());
    console.log(
      `buildReview (SQL):    first ${ms(first.ms)}, median of ${RUNS} ${ms(reviewMs)} ` +
        `(CPU ${ms(median(runs.map((run) => run.cpuMs)))}; ` +
        `target < ${TARGET_MS} ms: ${reviewMs < TARGET_MS ? "met" : "MISSED"})`,
    );
    console.log(
      `  by query, median:  ${[...perQuery]
        .map(([name, times]) => [name, median(times)] as const)
        .sort(([, a], [, b]) => b - a)
        .map(([name, value]) => `${name} ${ms(value)}`)
        .join(", ")}`,
    );
    console.log(
      `naive (events in JS): median of 3 ${ms(median(naive.map((run) => run.ms)))} ` +
        `(CPU ${ms(median(naive.map((run) => run.cpuMs)))}) over ${n(naive[0]!.result.events)} ` +
        "events, volume/latency/actions only; " +
        `figures agree: ${agree(review, naive[0]!.result) ? "yes" : "NO"}`,
    );
    console.log(`chart (vega → PNG):   ${ms(chart.ms)}, ${n(png.length)} bytes, ${chartFile}`);
    console.log(
      `review: ${n(review.volume.created)} tasks, ${n(review.failures.failed)} failed attempts ` +
        `(${n(review.failures.autoRecovered)} auto-recovered), ` +
        `${n(review.escalations.escalations)} escalations, ${n(review.interventions.total)} ` +
        `actions, ${review.suggestions.length} suggestions`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function timeAsync<T>(
  work: () => Promise<T>,
): Promise<{ ms: number; cpuMs: number; result: T }> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = await work();
  const used = process.cpuUsage(cpu);
  return {
    ms: Number(process.hrtime.bigint() - start) / 1e6,
    cpuMs: (used.user + used.system) / 1000,
    result,
  };
}

await main();
