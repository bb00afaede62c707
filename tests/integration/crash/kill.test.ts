/**
 * The kill test: Steward runs as a separate process over a real SQLite file with the real
 * module worker of its config (20–80 ms of work per task), is killed with SIGKILL in the middle
 * of its work, and is started again on the same file. Every task must end done exactly once;
 * the work in flight at the kill is recovered at start-up and run again, and the test says how
 * many attempts that repeated.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { asc } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import type { TaskState } from "../../../src/core/states.js";
import { type OpenDatabase, openDatabase } from "../../../src/db/connection.js";
import { attempts, outbox, taskEvents, tasks } from "../../../src/db/schema.js";
import { Engine } from "../../../src/engine/engine.js";
import { tempDir } from "../../helpers.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const ENTRY = join(ROOT, "tests/fixtures/crash/run-steward.ts");
const WORK = join(ROOT, "tests/fixtures/crash/work.ts");

const TASKS = 200;
const CONCURRENCY = 4;
/** Done before the kill, so the kill lands in the middle of the run. */
const DONE_BEFORE_KILL = 40;
/** Repeated attempts allowed beyond the concurrency (there should be none). */
const MARGIN = 2;
const RECOVERED_AT_START_UP = /recovered at start-up/;

const START_TIMEOUT_MS = 20_000;
const BEFORE_KILL_TIMEOUT_MS = 30_000;
const FINISH_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

function configYaml(): string {
  return [
    "intake:",
    "  required: [objective]",
    "categories:",
    "  - name: work",
    "    description: Items of work for the crash test",
    '    examples: ["Process item 1"]',
    "    worker: crash-worker",
    `    limits: { max_attempts: 5, concurrency: ${CONCURRENCY} }`,
    "  - name: unsorted",
    "    description: Requests that fit no other category",
    '    examples: ["Anything the rules cannot place"]',
    "    catch_all: true",
    "workers:",
    "  crash-worker:",
    "    kind: module",
    `    path: ${JSON.stringify(WORK)}`,
    "    timeout: 30s",
    "policies:",
    "  transient:",
    "    max_attempts: 5",
    "    backoff: { base: 100ms, factor: 2, max: 1s, jitter: false }",
    "",
  ].join("\n");
}

/** One Steward process and what it printed. */
interface StewardProcess {
  child: ChildProcess;
  output: () => string;
  started: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<StewardProcess>();

function launch(dbFile: string, configFile: string): StewardProcess {
  const child = spawn(process.execPath, ["--import", "tsx", ENTRY], {
    cwd: ROOT,
    env: {
      ...process.env,
      STEWARD_DB: dbFile,
      STEWARD_CONFIG: configFile,
      STEWARD_POLL_MS: "50",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once("exit", (code, signal) => done({ code, signal })),
  );
  const started = new Promise<void>((done, fail) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes("steward started")) done();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.once("error", fail);
    void exited.then(({ code, signal }) =>
      fail(new Error(`Steward exited before it started (code ${code}, signal ${signal})`)),
    );
  });
  started.catch(() => {});
  const steward: StewardProcess = { child, output: () => output, started, exited };
  live.add(steward);
  void exited.then(() => live.delete(steward));
  return steward;
}

function isRunning(steward: StewardProcess): boolean {
  return steward.child.exitCode === null && steward.child.signalCode === null;
}

async function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`timed out after ${ms} ms: ${what()}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it holds; the error says what was last seen. */
async function waitFor(check: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what()}`);
    await new Promise((wake) => setTimeout(wake, 25));
  }
}

function stateCounts(database: OpenDatabase): Partial<Record<TaskState, number>> {
  const counts: Partial<Record<TaskState, number>> = {};
  for (const { state } of database.db.select({ state: tasks.state }).from(tasks).all()) {
    counts[state] = (counts[state] ?? 0) + 1;
  }
  return counts;
}

afterEach(async () => {
  for (const steward of [...live]) {
    if (isRunning(steward)) steward.child.kill("SIGKILL");
    await within(steward.exited, 10_000, () => "the Steward process did not die");
  }
  live.clear();
});

describe("crash safety", () => {
  it(
    "a Steward killed with SIGKILL mid-run finishes every task exactly once after a restart",
    async () => {
      const began = performance.now();
      const phases: string[] = [];
      let phaseStart = began;
      const phase = (name: string) => {
        const now = performance.now();
        phases.push(`${name} ${((now - phaseStart) / 1000).toFixed(1)} s`);
        phaseStart = now;
      };
      const dir = tempDir();
      const dbFile = join(dir, "steward.db");
      const configFile = join(dir, "steward.yaml");
      writeFileSync(configFile, configYaml());
      const config = loadConfigFile(configFile, {});

      // 1. File the tasks through the engine, in this process, on the same SQLite file.
      const database = openDatabase(dbFile);
      try {
        const filing = new Engine({ config, configDir: dir, database });
        for (let item = 1; item <= TASKS; item++) {
          const { task } = await filing.submit({
            source: "crash-test",
            requester: "tester",
            category: "work",
            dedupeKey: `item-${item}`,
            fields: {
              objective: `Process item ${item}`,
              acceptance_criteria: ["the item is processed"],
            },
          });
          expect(task.state).toBe("queued");
        }
        // This engine only files: its pool, never started, makes no pass in the turns between the
        // filings (a kick passes only a running pool, or one with runs' writes left); stopped
        // before Steward runs on the file.
        await filing.stop();
        phase("filing");
        expect(stateCounts(database)).toEqual({ queued: TASKS });
        const counts = () => JSON.stringify(stateCounts(database));

        // 2. Run Steward, and kill it with SIGKILL once some tasks are done and some running.
        const first = launch(dbFile, configFile);
        await within(first.started, START_TIMEOUT_MS, () => `no start line:\n${first.output()}`);
        await waitFor(
          () => {
            const now = stateCounts(database);
            return (now.done ?? 0) >= DONE_BEFORE_KILL && (now.running ?? 0) >= 1;
          },
          BEFORE_KILL_TIMEOUT_MS,
          () =>
            `waiting for ${DONE_BEFORE_KILL} done and some running: ${counts()}\n${first.output()}`,
        );
        first.child.kill("SIGKILL");
        const killedAt = Date.now();
        phase("first run to the kill");
        const killed = await within(first.exited, 10_000, () => "SIGKILL did not stop Steward");
        expect(killed.signal).toBe("SIGKILL");

        // What the kill left behind: tasks held running, and their open attempts.
        const atKill = stateCounts(database);
        const leftRunning = database.db
          .select({ id: tasks.id, state: tasks.state })
          .from(tasks)
          .orderBy(asc(tasks.id))
          .all()
          .filter((task) => task.state === "running" || task.state === "reviewing")
          .map((task) => task.id);
        const openAttempts = database.db
          .select()
          .from(attempts)
          .all()
          .filter((attempt) => attempt.outcome === "running");
        expect(leftRunning.length).toBeGreaterThanOrEqual(1);
        expect(leftRunning.length).toBeLessThanOrEqual(CONCURRENCY);
        expect(openAttempts.map((attempt) => attempt.taskId).sort((a, b) => a - b)).toEqual(
          leftRunning,
        );

        // 3. Start again on the same file; wait for every task to be terminal; stop cleanly.
        const second = launch(dbFile, configFile);
        await within(second.started, START_TIMEOUT_MS, () => `no start line:\n${second.output()}`);
        phase("restart");
        await waitFor(
          () => {
            const now = stateCounts(database);
            return (now.done ?? 0) + (now.cancelled ?? 0) === TASKS;
          },
          FINISH_TIMEOUT_MS,
          () => `waiting for all ${TASKS} terminal: ${counts()}\n${second.output()}`,
        );
        phase("rest of the run");
        second.child.kill("SIGTERM");
        const stopped = await within(
          second.exited,
          STOP_TIMEOUT_MS,
          () => `SIGTERM did not stop Steward:\n${second.output()}`,
        );
        expect({ ...stopped, output: second.output() }).toMatchObject({ code: 0, signal: null });
        expect(second.output()).toContain("steward stopped");
        phase("clean stop");
        const elapsed = performance.now() - began;

        // 4. How many attempts the kill made Steward repeat (said before any assertion can fail).
        const allAttempts = database.db
          .select()
          .from(attempts)
          .orderBy(asc(attempts.taskId), asc(attempts.number))
          .all();
        const attemptsOf = new Map<number, typeof allAttempts>();
        for (const attempt of allAttempts) {
          const list = attemptsOf.get(attempt.taskId) ?? [];
          list.push(attempt);
          attemptsOf.set(attempt.taskId, list);
        }
        const repeated = [...attemptsOf]
          .filter(([, list]) => list.length > 1)
          .map(([taskId]) => taskId);
        console.log(
          `kill test: killed with ${atKill.done ?? 0}/${TASKS} done and ${leftRunning.length} ` +
            `running (${leftRunning.map((id) => `T-${id}`).join(", ")}); ` +
            `${repeated.length} attempt(s) repeated because of the kill; ` +
            `all ${TASKS} done once, in ${(elapsed / 1000).toFixed(1)} s (${phases.join(", ")})`,
        );

        // 5. The history: nothing lost, nothing stuck, each task done exactly once.
        expect(stateCounts(database)).toEqual({ done: TASKS });
        const events = database.db
          .select()
          .from(taskEvents)
          .orderBy(asc(taskEvents.taskId), asc(taskEvents.id))
          .all();
        const eventsOf = new Map<number, typeof events>();
        for (const event of events) {
          const list = eventsOf.get(event.taskId) ?? [];
          list.push(event);
          eventsOf.set(event.taskId, list);
        }
        expect(eventsOf.size).toBe(TASKS);
        for (const [taskId, history] of eventsOf) {
          const dones = history.filter((event) => event.to === "done").length;
          expect({ taskId, dones }).toEqual({ taskId, dones: 1 });
          // One unbroken chain: each event starts where the one before it ended.
          const chain = history.map((event) => `${event.from}→${event.to}`);
          history.forEach((event, index) => {
            const from = index === 0 ? "intake" : history[index - 1]!.to;
            expect({ taskId, chain, from: event.from }).toEqual({ taskId, chain, from });
          });
          expect(history.at(-1)?.to).toBe("done");
        }
        const doneNotices = database.db
          .select()
          .from(outbox)
          .all()
          .filter((message) => message.kind === "task_done");
        expect(doneNotices.length).toBe(TASKS);

        // The tasks the kill left running went back to the queue at start-up, and only those.
        const recovered = events.filter(
          (event) =>
            event.from === "running" &&
            event.to === "queued" &&
            RECOVERED_AT_START_UP.test(event.reason),
        );
        expect(recovered.map((event) => event.taskId)).toEqual(leftRunning);
        for (const event of recovered) expect(event.at).toBeGreaterThanOrEqual(killedAt);
        const otherRequeues = events.filter(
          (event) => event.to === "queued" && event.from !== "intake" && !recovered.includes(event),
        );
        expect(otherRequeues).toEqual([]);

        // Their open attempts were closed as abandoned; every task has exactly one success.
        for (const open of openAttempts) {
          const closed = allAttempts.find((attempt) => attempt.id === open.id);
          expect(closed).toMatchObject({
            outcome: "abandoned",
            error: expect.stringMatching(RECOVERED_AT_START_UP),
          });
          expect(closed?.endedAt).toBeGreaterThanOrEqual(killedAt);
        }
        expect(allAttempts.filter((attempt) => attempt.outcome === "running")).toEqual([]);
        expect(allAttempts.filter((attempt) => attempt.outcome === "failed")).toEqual([]);
        expect(attemptsOf.size).toBe(TASKS);
        for (const [taskId, list] of attemptsOf) {
          const succeeded = list.filter((attempt) => attempt.outcome === "succeeded").length;
          expect({ taskId, succeeded }).toEqual({ taskId, succeeded: 1 });
        }

        // The repeats: at least one (the kill interrupted work), at most what was in flight.
        expect(repeated.length).toBeGreaterThanOrEqual(1);
        expect(repeated.length).toBeLessThanOrEqual(CONCURRENCY + MARGIN);
        expect(repeated).toEqual(leftRunning);
      } finally {
        for (const steward of [...live]) if (isRunning(steward)) steward.child.kill("SIGKILL");
        database.close();
      }
    },
    FINISH_TIMEOUT_MS + 60_000,
  );
});
