/**
 * Tasks per second on PostgreSQL with 1, 2 and 3 worker processes, each job an I/O-bound task
 * (a 20 ms timer), for each system in the same run: graphile-worker, the peer, and Steward as
 * `steward worker` runs it, each a `ScaleSystem` (bench/support/scale-system.ts).
 *
 *   npx tsx bench/scale.ts [--n 1000] [--processes 1,2,3] [--concurrency 10] [--task-ms 20]
 *                          [--runs 3] [--system graphile-worker,steward] [--timeout-s 300]
 *
 * Protocol, the same for every system:
 * - Each (system, K processes) run has a database of its own, created through the server's
 *   `test` database and dropped after, whatever happens (bench/support/scratch-postgres.ts).
 *   `prepare` installs the system's schema there and queues N jobs (not timed).
 * - K worker processes are forked (this file with `--worker`); each loads the system and says
 *   it is ready. Booting Node and loading code are not timed.
 * - The clock starts when every process is told to go: each connects and works the queue,
 *   `--concurrency` jobs at a time, each job awaiting a `--task-ms` timer. It stops when the
 *   bench, polling the system's `remaining` every 10 ms on one connection, reads none left.
 * - The processes are then stopped, each telling how many tasks it ran (the sum must be N: no
 *   job lost, none run twice) and the CPU time it used from go to stop. Just before, the bench
 *   reads the CPU time of the server's backends serving the run's database (their whole life,
 *   from /proc: the same host), whichever system opened them.
 * - tasks/s is N over that wall time, the median of `--runs` runs (each K and system in turn,
 *   run after run, so a spell of load on a shared host falls on all of them); `vs 1` is the same
 *   system's ratio to one process; CPU/task is the worker processes' and the server's CPU time
 *   over N, medians too; the ceiling, K × concurrency / task time, is what the timers
 *   alone would allow.
 */
import { type ChildProcess, fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { graphileWorker } from "./support/scale-graphile-worker.js";
import { steward } from "./support/scale-steward.js";
import type { ScaleSystem, ScaleWorker } from "./support/scale-system.js";
import { withScratchDatabase } from "./support/scratch-postgres.js";

const SYSTEMS: readonly ScaleSystem[] = [graphileWorker, steward];
const POLL_MS = 10;
/** The kernel's clock ticks a second, the unit of /proc's CPU times (`getconf CLK_TCK`). */
const TICKS_PER_SECOND = 100;
/** How long a stopped worker process has to finish its jobs in hand and exit. */
const EXIT_MS = 10_000;

interface Options {
  n: number;
  processes: number[];
  concurrency: number;
  taskMs: number;
  runs: number;
  systems: ScaleSystem[];
  timeoutS: number;
}

interface Result {
  system: string;
  processes: number;
  ms: number;
  /** Tasks each process ran. */
  ran: number[];
  /** CPU time the worker processes used, all told, from go to stop. */
  cpuMs: number;
  /** CPU time of the server's backends on the run's database, but the bench's own. */
  serverCpuMs: number;
}

/** What a worker process reports when stopped. */
interface Stopped {
  ran: number;
  cpuMs: number;
}

/** What a worker process tells the bench. */
type FromWorker = { kind: "ready" } | ({ kind: "stopped" } & Stopped);
/** What the bench tells a worker process. */
type ToWorker = "go" | "stop";

function systemNamed(name: string): ScaleSystem {
  const system = SYSTEMS.find((candidate) => candidate.name === name);
  if (system === undefined)
    throw new Error(`no system ${name} (${SYSTEMS.map((s) => s.name).join(", ")})`);
  return system;
}

/** One forked worker process, as the bench drives it. */
class WorkerProcess {
  readonly ready: Promise<void>;
  /** Rejects if the process exits before it reported stopping: the run failed. */
  readonly failed: Promise<never>;
  private readonly child: ChildProcess;
  private stopped: ((report: Stopped) => void) | undefined;
  private exited = false;

  constructor(system: string, url: string, concurrency: number) {
    this.child = fork(
      fileURLToPath(import.meta.url),
      ["--worker", system, url, String(concurrency)],
      { stdio: ["ignore", "inherit", "inherit", "ipc"] },
    );
    let ready: () => void = () => {};
    this.ready = new Promise((resolve) => {
      ready = resolve;
    });
    let report: Stopped | undefined;
    this.child.on("message", (message: FromWorker) => {
      if (message.kind === "ready") ready();
      else report = message;
    });
    this.failed = new Promise<never>((_, reject) => {
      this.child.on("exit", (code, signal) => {
        this.exited = true;
        if (report !== undefined && this.stopped !== undefined) this.stopped(report);
        else reject(new Error(`a worker process exited (${signal ?? code}) before it was done`));
      });
    });
    // Seen by whoever awaits it; until then, not an unhandled rejection.
    this.failed.catch(() => {});
  }

  go(): void {
    this.send("go");
  }

  /** Stops the process once its jobs in hand are done; resolves with what it ran and used. */
  stop(): Promise<Stopped> {
    const stopped = new Promise<Stopped>((resolve) => {
      this.stopped = resolve;
    });
    this.send("stop");
    return Promise.race([stopped, this.failed]);
  }

  kill(): void {
    if (!this.exited) this.child.kill("SIGKILL");
  }

  private send(message: ToWorker): void {
    this.child.send(message);
  }
}

/** One run: a fresh database, N jobs, K processes, timed from go to the last job done. */
async function measure(system: ScaleSystem, processes: number, options: Options): Promise<Result> {
  const label = `scale_${system.name.replace(/\W/g, "_")}_${processes}`;
  return withScratchDatabase(label, async (url) => {
    await system.prepare(url, options.n, options.taskMs);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const workers = Array.from(
      { length: processes },
      () => new WorkerProcess(system.name, url, options.concurrency),
    );
    const failed = Promise.race(workers.map((worker) => worker.failed));
    failed.catch(() => {});
    try {
      await Promise.race([Promise.all(workers.map((worker) => worker.ready)), failed]);
      const started = performance.now();
      const deadline = started + options.timeoutS * 1000;
      for (const worker of workers) worker.go();
      for (;;) {
        const left = await Promise.race([system.remaining(db), failed]);
        if (left === 0) break;
        if (performance.now() > deadline)
          throw new Error(`${left} of ${options.n} jobs left after ${options.timeoutS} s`);
        await sleep(POLL_MS);
      }
      const ms = performance.now() - started;
      const serverCpuMs = await backendsCpuMs(db);
      const stopped = await within(
        Promise.all(workers.map((worker) => worker.stop())),
        EXIT_MS,
        `the worker processes did not stop within ${EXIT_MS / 1000} s`,
      );
      const ran = stopped.map((report) => report.ran);
      const total = ran.reduce((sum, count) => sum + count, 0);
      if (total !== options.n) throw new Error(`${total} tasks ran for ${options.n} jobs`);
      const cpuMs = stopped.reduce((sum, report) => sum + report.cpuMs, 0);
      return { system: system.name, processes, ms, ran, cpuMs, serverCpuMs };
    } finally {
      for (const worker of workers) worker.kill();
      await db.end();
    }
  });
}

/** CPU time, user and system, of the server processes on `db`'s database but `db`'s own. */
async function backendsCpuMs(db: pg.ClientBase): Promise<number> {
  const { rows } = await db.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
  );
  let ticks = 0;
  for (const { pid } of rows) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // Gone since the query: its time is lost with it.
    }
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** `promise`, or a rejection with `message` if it has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A forked worker process: ready once loaded, works on go, reports what it ran on stop. */
function workerProcess(name: string, url: string, concurrency: number): void {
  const system = systemNamed(name);
  let ran = 0;
  let cpu: NodeJS.CpuUsage | undefined;
  let working: Promise<ScaleWorker> | undefined;
  const send = (message: FromWorker) => process.send?.(message);
  const fail = (error: unknown) => {
    console.error(error);
    process.exit(1);
  };
  process.on("message", (message: ToWorker) => {
    if (message === "go") {
      cpu = process.cpuUsage();
      working = system.work(url, concurrency, () => {
        ran++;
      });
      working.catch(fail);
    } else {
      void (async () => {
        await (await working)?.stop();
        const used = process.cpuUsage(cpu);
        send({ kind: "stopped", ran, cpuMs: (used.user + used.system) / 1000 });
        process.disconnect();
      })().catch(fail);
    }
  });
  send({ kind: "ready" });
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    n: 1000,
    processes: [1, 2, 3],
    concurrency: 10,
    taskMs: 20,
    runs: 3,
    systems: [...SYSTEMS],
    timeoutS: 300,
  };
  const numbers = (arg: string, value: string | undefined) => {
    const parsed = (value ?? "").split(",").map((part) => Number(part.replaceAll("_", "")));
    if (parsed.length === 0 || parsed.some((x) => !Number.isInteger(x) || x <= 0))
      throw new Error(`${arg} takes positive whole numbers, comma-separated: got ${value}`);
    return parsed;
  };
  for (let i = 0; i < argv.length; i += 2) {
    const arg = argv[i]!;
    const value = argv[i + 1];
    if (arg === "--n") options.n = numbers(arg, value)[0]!;
    else if (arg === "--processes") options.processes = numbers(arg, value);
    else if (arg === "--concurrency") options.concurrency = numbers(arg, value)[0]!;
    else if (arg === "--task-ms") options.taskMs = numbers(arg, value)[0]!;
    else if (arg === "--runs") options.runs = numbers(arg, value)[0]!;
    else if (arg === "--timeout-s") options.timeoutS = numbers(arg, value)[0]!;
    else if (arg === "--system") options.systems = (value ?? "").split(",").map(systemNamed);
    else throw new Error(`unknown argument ${arg}`);
  }
  return options;
}

const perSecond = (n: number, ms: number) => (n * 1000) / ms;
const whole = (x: number) => Math.round(x).toLocaleString("en-US");
const ratio = (x: number) => `${x.toFixed(2)}×`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * One row per K: each system's median tasks/s, its ratio to one process and its workers' CPU
 * per task; each later system's rate over the first's.
 */
function printTable(results: Result[], options: Options): void {
  const names = options.systems.map((system) => system.name);
  const [first, ...others] = names;
  const of = (name: string, processes: number) =>
    results.filter((r) => r.system === name && r.processes === processes);
  const rate = (name: string, processes: number) =>
    median(of(name, processes).map((r) => perSecond(options.n, r.ms)));
  const perTask = (name: string, processes: number, ms: (r: Result) => number) =>
    `${whole(median(of(name, processes).map((r) => (ms(r) * 1000) / options.n)))} µs`;
  const header = [
    "processes",
    ...names.flatMap((name) => [`${name} tasks/s`, "vs 1", "worker CPU/task", "server CPU/task"]),
    ...others.map((name) => `${name} / ${first}`),
    "ceiling tasks/s",
  ];
  console.log(`| ${header.join(" | ")} |`);
  console.log(`| ${header.map(() => "---:").join(" | ")} |`);
  for (const processes of options.processes) {
    const cells = [
      String(processes),
      ...names.flatMap((name) => [
        whole(rate(name, processes)),
        ratio(rate(name, processes) / rate(name, 1)),
        perTask(name, processes, (r) => r.cpuMs),
        perTask(name, processes, (r) => r.serverCpuMs),
      ]),
      ...others.map((name) => ratio(rate(name, processes) / rate(first!, processes))),
      whole(perSecond(processes * options.concurrency, options.taskMs)),
    ];
    console.log(`| ${cells.join(" | ")} |`);
  }
}

async function main(): Promise<void> {
  const worker = process.argv.indexOf("--worker");
  if (worker !== -1) {
    const [name, url, concurrency] = process.argv.slice(worker + 1);
    workerProcess(name!, url!, Number(concurrency));
    return;
  }
  const options = parseArgs(process.argv.slice(2));
  const results: Result[] = [];
  for (let run = 1; run <= options.runs; run++) {
    for (const processes of options.processes) {
      for (const system of options.systems) {
        const result = await measure(system, processes, options);
        console.error(
          `run ${run}, ${system.name}, ${processes} process(es): ${options.n} tasks in ` +
            `${(result.ms / 1000).toFixed(2)} s, ${whole(perSecond(options.n, result.ms))}/s, ` +
            `CPU ${whole(result.cpuMs)} ms workers, ${whole(result.serverCpuMs)} ms server ` +
            `(ran ${result.ran.join(" + ")})`,
        );
        results.push(result);
      }
    }
  }
  console.log(
    `${options.n} jobs of ${options.taskMs} ms, concurrency ${options.concurrency} a process, ` +
      `median of ${options.runs} runs; ${cpus().length} cores, load ${loadavg()
        .map((x) => x.toFixed(2))
        .join(" ")}`,
  );
  printTable(results, options);
}

await main();
