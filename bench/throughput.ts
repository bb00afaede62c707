/**
 * Throughput of Steward's whole task path against plainjob, a plain SQLite job queue.
 *
 *   npx tsx bench/throughput.ts [--n 10000,100000] [--concurrency 1,8]
 *                               [--system steward,plainjob] [--poll-ms 5] [--inline]
 *
 * Protocol (the same for both systems):
 * - Every (N, concurrency, system) runs in a fresh child process (so peak RSS and the heap
 *   belong to that run alone) on a fresh SQLite file in a temp dir, WAL, synchronous=NORMAL.
 *   `--inline` runs them in this process instead (for `node --cpu-prof`).
 * - Phase 1, submit: N requests go in one by one, each its own call, with nothing processing
 *   yet. Steward: `engine.submit` of a free-text request (intake → parse → route → task
 *   row + its intake→queued event), as the webhook and Discord doors call it, 100 requests in
 *   flight at a time (as from 100 clients); each resolves once its task is committed, and the
 *   calls made in one turn of the event loop are filed as one unit and one commit (Filings).
 *   plainjob: `queue.add` of a job carrying the same text, which commits each job on its own.
 *   The phase ends when every request is committed.
 * - Phase 2, process: the workers start at the given concurrency and run until all N are done.
 *   Steward: `engine.start()`; the pool claims from the support category (its
 *   `limits.concurrency` set to C), runs a no-op runner (replacing its worker's runner through
 *   `EngineOptions.runners`), reviews the output (structural checks) and completes the task,
 *   recording queued→running→reviewing→done. plainjob: C `defineWorker` loops on one queue, each
 *   running a no-op processor. Both poll every `--poll-ms` when idle.
 * - Throughput: submit/s (phase 1), process/s (phase 2) and total/s from the first submit to
 *   the last done. Latency per task: created → done (which, with the whole backlog submitted
 *   first, is mostly time spent waiting in the queue) and run: claimed → done (Steward: its
 *   running and done events; plainjob: processor start → onCompleted). Times in ms.
 * - CPU s: user + system CPU time of the process in each phase. On a shared machine wall time
 *   swings with other load; CPU time much less, so the ratios are also given per CPU-second.
 * - Peak RSS: `process.memoryUsage.rss()` sampled every 25 ms and every 1 000 items (plainjob's
 *   worker loop never yields to timers while jobs remain, and neither does the submit loop).
 *   Only the RSS: `process.memoryUsage()` also reads the heap statistics.
 * - Verification: all N done; for Steward the `task_events` rows must equal N × 4 transitions.
 *
 * One file over 400 lines on purpose: both systems' protocol and its report read top to bottom,
 * so a reader can check the peer gets the same treatment.
 */
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { better, defineQueue, defineWorker, JobStatus, type Logger } from "plainjob";
import { loadConfigFile } from "../src/config/load.js";
import { openDatabase } from "../src/db/connection.js";
import { Engine } from "../src/engine/engine.js";
import type { IntakeResult } from "../src/intake/intake.js";
import type { WorkerRunner } from "../src/workers/runner.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CATEGORY = "support";
/** intake→queued, queued→running, running→reviewing, reviewing→done. */
const TRANSITIONS_PER_TASK = 4;
const SAMPLE_EVERY = 1_000;
/** Steward's requests in flight at once during the submit phase. */
const IN_FLIGHT = 100;

type System = "steward" | "plainjob";

interface RunSpec {
  system: System;
  n: number;
  concurrency: number;
  pollMs: number;
}

interface RunResult extends RunSpec {
  submitMs: number;
  processMs: number;
  totalMs: number;
  latency: { p50: number; p99: number };
  run: { p50: number; p99: number };
  peakRssMb: number;
  /** CPU time (user + system) of the process in each phase: contention on a busy machine
   * stretches wall time, much less CPU time. */
  submitCpuMs: number;
  processCpuMs: number;
  done: number;
  /** Steward only: task_events rows and the expected count. */
  events?: { actual: number; expected: number };
  ok: boolean;
}

function requestText(i: number): string {
  return `Answer the refund request from customer ${i} whose order arrived damaged`;
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

class RssSampler {
  private peak = process.memoryUsage.rss();
  private readonly timer = setInterval(() => this.sample(), 25);

  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
  }

  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak / 1024 / 1024;
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[index]!;
}

function summarise(values: Float64Array): { p50: number; p99: number } {
  const sorted = values.slice().sort();
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
}

async function runSteward(spec: RunSpec, dir: string): Promise<RunResult> {
  const { n, concurrency, pollMs } = spec;
  const config = loadConfigFile(join(ROOT, "config/steward.yaml"), {});
  const category = config.categories.find((candidate) => candidate.name === CATEGORY);
  if (category?.worker === undefined) throw new Error(`no category ${CATEGORY} with a worker`);
  category.limits.concurrency = concurrency;
  const noop: WorkerRunner = async () => ({ output: "ok" });
  // As `steward start` opens it: the log is checkpointed on a thread of its own.
  const database = openDatabase(join(dir, "steward.db"), {
    backgroundCheckpoints: {
      onError: (message) => {
        throw new Error(`checkpoint failed: ${message}`);
      },
    },
  });
  // As `steward start` does, before it takes requests: its thread's start-up is not timed,
  // as opening the database is not (for either system).
  await database.ready;
  const engine = new Engine({
    config,
    configDir: join(ROOT, "config"),
    database,
    runners: new Map([[category.worker, noop]]),
    pollMs,
  });
  // As `steward start` does before it takes requests: the classifier's training is not timed.
  engine.router.warm();
  const rss = new RssSampler();
  let done = 0;
  let resolveAll: () => void = () => {};
  const allDone = new Promise<void>((resolve) => {
    resolveAll = resolve;
  });
  engine.onTaskChange((task) => {
    if (task.state !== "done") return;
    done++;
    if (done % SAMPLE_EVERY === 0) rss.sample();
    if (done === n) resolveAll();
  });

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // Every request is its own call, acknowledged once committed, as a door's would be; the
  // ones made in one turn share a unit of work and a commit (Filings).
  // Requests come IN_FLIGHT at a time, as from that many clients: each wave is answered before
  // the next arrives (all N at once would hold every answer until the last was filed).
  let queued = 0;
  for (let first = 0; first < n; first += IN_FLIGHT) {
    const wave: Promise<IntakeResult>[] = [];
    for (let i = first; i < Math.min(n, first + IN_FLIGHT); i++)
      wave.push(engine.submit({ source: "bench", requester: "bench", text: requestText(i) }));
    for (const { task } of await Promise.all(wave))
      if (task.state === "queued" && task.category === CATEGORY) queued++;
    if ((first + IN_FLIGHT) % SAMPLE_EVERY === 0) rss.sample();
  }
  const t1 = performance.now();
  const submitCpuMs = cpuSince(cpu0);
  if (queued !== n) throw new Error(`only ${queued} of ${n} requests were queued to ${CATEGORY}`);
  engine.start();
  await allDone;
  const t2 = performance.now();
  const processCpuMs = cpuSince(cpu0) - submitCpuMs;
  await engine.stop();
  const peakRssMb = rss.stop();

  const { sqlite } = database;
  const doneCount = (
    sqlite.prepare("SELECT count(*) AS n FROM tasks WHERE state = 'done'").get() as { n: number }
  ).n;
  const eventCount = (
    sqlite.prepare("SELECT count(*) AS n FROM task_events").get() as { n: number }
  ).n;
  const createdAt = new Float64Array(n + 1);
  const runningAt = new Float64Array(n + 1);
  const latency = new Float64Array(doneCount);
  const run = new Float64Array(doneCount);
  for (const row of sqlite.prepare("SELECT id, created_at AS at FROM tasks").iterate()) {
    const { id, at } = row as { id: number; at: number };
    createdAt[id] = at;
  }
  let k = 0;
  const events = sqlite.prepare(
    `SELECT task_id AS id, "to", at FROM task_events WHERE "to" IN ('running', 'done') ORDER BY id`,
  );
  for (const row of events.iterate()) {
    const { id, to, at } = row as { id: number; to: string; at: number };
    if (to === "running") runningAt[id] = at;
    else {
      latency[k] = at - createdAt[id]!;
      run[k] = at - runningAt[id]!;
      k++;
    }
  }
  database.close();
  const expected = n * TRANSITIONS_PER_TASK;
  return {
    ...spec,
    submitMs: t1 - t0,
    processMs: t2 - t1,
    totalMs: t2 - t0,
    latency: summarise(latency),
    run: summarise(run),
    peakRssMb,
    submitCpuMs,
    processCpuMs,
    done: doneCount,
    events: { actual: eventCount, expected },
    ok: doneCount === n && eventCount === expected,
  };
}

const silent: Logger = { error() {}, warn() {}, info() {}, debug() {} };

async function runPlainjob(spec: RunSpec, dir: string): Promise<RunResult> {
  const { n, concurrency, pollMs } = spec;
  const sqlite = new Database(join(dir, "plainjob.db"));
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  const queue = defineQueue({ connection: better(sqlite), logger: silent });
  const rss = new RssSampler();
  const startedAt = new Float64Array(n + 1);
  const latency = new Float64Array(n);
  const run = new Float64Array(n);
  let done = 0;
  let resolveAll: () => void = () => {};
  const allDone = new Promise<void>((resolve) => {
    resolveAll = resolve;
  });

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    queue.add("bench", { text: requestText(i) });
    if (i % SAMPLE_EVERY === 0) rss.sample();
  }
  const t1 = performance.now();
  const submitCpuMs = cpuSince(cpu0);
  const workers = Array.from({ length: concurrency }, () =>
    defineWorker(
      "bench",
      async (job) => {
        startedAt[job.id] = Date.now();
      },
      {
        queue,
        pollIntervall: pollMs,
        logger: silent,
        onCompleted: (job) => {
          const now = Date.now();
          const createdAt = (job as { createdAt?: number }).createdAt ?? Number.NaN;
          latency[done] = now - createdAt;
          run[done] = now - startedAt[job.id]!;
          done++;
          if (done % SAMPLE_EVERY === 0) rss.sample();
          if (done === n) resolveAll();
        },
      },
    ),
  );
  const loops = workers.map((worker) => worker.start());
  await allDone;
  const t2 = performance.now();
  const processCpuMs = cpuSince(cpu0) - submitCpuMs;
  await Promise.all(workers.map((worker) => worker.stop()));
  await Promise.all(loops);
  const peakRssMb = rss.stop();
  const doneCount = queue.countJobs({ status: JobStatus.Done });
  queue.close();
  return {
    ...spec,
    submitMs: t1 - t0,
    processMs: t2 - t1,
    totalMs: t2 - t0,
    latency: summarise(latency),
    run: summarise(run),
    peakRssMb,
    submitCpuMs,
    processCpuMs,
    done: doneCount,
    ok: doneCount === n,
  };
}

async function runOne(spec: RunSpec): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), `steward-bench-${spec.system}-`));
  try {
    return spec.system === "steward" ? await runSteward(spec, dir) : await runPlainjob(spec, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs one spec in a child process of this script; its result comes back over IPC. */
function runInChild(spec: RunSpec, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ["--child", JSON.stringify(spec)], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let result: RunResult | undefined;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${label(spec)} took over ${timeoutMs / 1000}s`));
    }, timeoutMs);
    child.on("message", (message) => {
      result = message as RunResult;
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (result !== undefined) resolvePromise(result);
      else reject(new Error(`${label(spec)}: child exited with ${code} and no result`));
    });
  });
}

function label(spec: RunSpec): string {
  return `${spec.system} N=${spec.n} C=${spec.concurrency}`;
}

function parseArgs(argv: string[]) {
  const options = {
    n: [10_000, 100_000],
    concurrency: [1, 8],
    systems: ["steward", "plainjob"] as System[],
    pollMs: 5,
    inline: false,
    timeoutS: 3600,
  };
  const numbers = (value: string | undefined) =>
    (value ?? "")
      .split(",")
      .map((part) => Number(part.replaceAll("_", "")))
      .filter((x) => Number.isInteger(x) && x > 0);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === "--n") options.n = numbers(value);
    else if (arg === "--concurrency") options.concurrency = numbers(value);
    else if (arg === "--poll-ms") options.pollMs = numbers(value)[0] ?? options.pollMs;
    else if (arg === "--timeout-s") options.timeoutS = numbers(value)[0] ?? options.timeoutS;
    else if (arg === "--system") {
      options.systems = (value ?? "")
        .split(",")
        .filter((s): s is System => s === "steward" || s === "plainjob");
    } else if (arg === "--inline") {
      options.inline = true;
      continue;
    } else throw new Error(`unknown argument ${arg}`);
    i++;
  }
  return options;
}

const fmt = (value: number, digits = 0) =>
  Number.isFinite(value)
    ? value.toLocaleString("en-US", {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      })
    : "-";
const rate = (n: number, ms: number) => (n * 1000) / ms;

function printTable(results: RunResult[]): void {
  const header = [
    "N",
    "conc",
    "system",
    "submit/s",
    "process/s",
    "total/s",
    "submit s",
    "process s",
    "total s",
    "p50 ms",
    "p99 ms",
    "run p50",
    "run p99",
    "submit CPU s",
    "process CPU s",
    "peak RSS MB",
    "check",
  ];
  const rows = results.map((r) => [
    fmt(r.n),
    String(r.concurrency),
    r.system,
    fmt(rate(r.n, r.submitMs)),
    fmt(rate(r.n, r.processMs)),
    fmt(rate(r.n, r.totalMs)),
    fmt(r.submitMs / 1000, 2),
    fmt(r.processMs / 1000, 2),
    fmt(r.totalMs / 1000, 2),
    fmt(r.latency.p50),
    fmt(r.latency.p99),
    fmt(r.run.p50),
    fmt(r.run.p99),
    fmt(r.submitCpuMs / 1000, 2),
    fmt(r.processCpuMs / 1000, 2),
    fmt(r.peakRssMb),
    `${r.ok ? "ok" : "FAILED"} done=${r.done}${
      r.events ? ` events=${r.events.actual}/${r.events.expected}` : ""
    }`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padStart(widths[i]!))).join("  ");
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

function printRatios(results: RunResult[]): void {
  console.log("\nSteward/plainjob throughput (target ≥ 1.0× on total):");
  for (const steward of results.filter((r) => r.system === "steward")) {
    const plain = results.find(
      (r) => r.system === "plainjob" && r.n === steward.n && r.concurrency === steward.concurrency,
    );
    if (plain === undefined) continue;
    const ratio = (a: number, b: number) => `${fmt(b / a, 3)}×`;
    console.log(
      `  N=${fmt(steward.n)} C=${steward.concurrency}: total ${ratio(steward.totalMs, plain.totalMs)}` +
        `  submit ${ratio(steward.submitMs, plain.submitMs)}` +
        `  process ${ratio(steward.processMs, plain.processMs)}` +
        `  per CPU-second ${ratio(
          steward.submitCpuMs + steward.processCpuMs,
          plain.submitCpuMs + plain.processCpuMs,
        )}`,
    );
  }
}

async function main(): Promise<void> {
  const childIndex = process.argv.indexOf("--child");
  if (childIndex !== -1) {
    const spec = JSON.parse(process.argv[childIndex + 1] ?? "") as RunSpec;
    const result = await runOne(spec);
    process.send?.(result);
    return;
  }
  const options = parseArgs(process.argv.slice(2));
  const results: RunResult[] = [];
  const started = performance.now();
  for (const n of options.n) {
    for (const concurrency of options.concurrency) {
      for (const system of options.systems) {
        const spec: RunSpec = { system, n, concurrency, pollMs: options.pollMs };
        const result = options.inline
          ? await runOne(spec)
          : await runInChild(spec, options.timeoutS * 1000);
        console.error(
          `${label(spec)}: ${fmt(rate(n, result.totalMs))} tasks/s total ` +
            `(submit ${fmt(result.submitMs / 1000, 2)} s, process ${fmt(result.processMs / 1000, 2)} s)` +
            `${result.ok ? "" : " FAILED verification"}`,
        );
        results.push(result);
      }
    }
  }
  console.log(
    `\nthroughput: node ${process.version}, poll ${options.pollMs} ms, ` +
      `whole bench ${fmt((performance.now() - started) / 1000, 1)} s\n`,
  );
  printTable(results);
  printRatios(results);
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

await main();
