import { once } from "node:events";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";
import { parse, stringify } from "yaml";
import { parseConfig } from "../../../src/config/load.js";
import type { Config } from "../../../src/config/schema.js";
import type { OutboxMessage } from "../../../src/core/outbox.js";
import type { TaskState } from "../../../src/core/states.js";
import type { Task } from "../../../src/core/task.js";
import { Engine } from "../../../src/engine/engine.js";
import type { ShellPayload } from "../../../src/workers/kinds/shell.js";
import { tempDir, testDatabase } from "../../helpers.js";
import { reply, TestServer } from "../workers/helpers.js";

export const fixturesDir = fileURLToPath(new URL("../../fixtures/policy/", import.meta.url));
export const fixture = (name: string) => path.join(fixturesDir, name);
/** Quoted for YAML (a JSON string is a YAML string). */
export const q = (value: string) => JSON.stringify(value);
export const node = process.execPath;

/** A shell worker running a fixture under node, seeing only PATH and the record folder. */
export function shellWorker(
  script: string,
  options: { args?: string[]; timeout?: string } = {},
): string {
  const command = [node, fixture(script), ...(options.args ?? [])].map(q).join(", ");
  const timeout = options.timeout ?? "5s";
  return `{ kind: shell, command: [${command}], env: [POLICY_RECORD_DIR], timeout: ${timeout} }`;
}

const UNSORTED = {
  name: "unsorted",
  description: "Requests that fit no other category",
  examples: ["anything"],
  catch_all: true,
};

/** Small backoffs and probes, so every policy path runs in milliseconds. */
const POLICIES: Record<string, unknown> = {
  transient: { max_attempts: 3, backoff: { base: "10ms", factor: 2, max: "50ms", jitter: true } },
  logic: { escalate_after_same_failure: 2 },
  systemic: { pause: true, probe_every: "50ms", after_consecutive: 3 },
  classify: [],
};

/**
 * A test's YAML (its categories, workers and any policy it changes) plus the catch-all and
 * the small default policies, checked by the real config parser.
 */
export function policyConfig(text: string): Config {
  const written = parse(text) as {
    categories: unknown[];
    policies?: Record<string, unknown>;
  } & Record<string, unknown>;
  const full = {
    ...written,
    categories: [...written.categories, UNSORTED],
    policies: { ...POLICIES, ...written.policies },
  };
  return parseConfig(stringify(full), "test.yaml", {});
}

export interface Harness {
  engine: Engine;
  database: ReturnType<typeof testDatabase>;
  /** Where fixtures record what they received (`runs.jsonl`) and read switches from. */
  records: string;
  /** What the engine logged as errors. */
  errors: string[];
}

const engines: Engine[] = [];
const servers: { stop(): Promise<void> }[] = [];

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.stop(100);
  for (const server of servers.splice(0)) await server.stop();
});

/** A real engine over a real SQLite file, not yet started; stopped after the test. */
export function makeEngine(
  config: Config,
  harness: Partial<Omit<Harness, "errors">> = {},
): Harness {
  const records = harness.records ?? tempDir();
  const database = harness.database ?? testDatabase();
  const errors: string[] = [];
  const engine = new Engine({
    config,
    configDir: fixturesDir,
    database,
    env: { PATH: process.env.PATH, POLICY_RECORD_DIR: records },
    pollMs: 10,
    random: () => 0.5,
    logger: { info() {}, warn() {}, error: (message) => errors.push(message) },
  });
  engines.push(engine);
  return { engine, database, records, errors };
}

export function startEngine(config: Config): Harness {
  const harness = makeEngine(config);
  harness.engine.start();
  return harness;
}

/** A complete request, named for its category, so it is queued at once. */
export async function submit(engine: Engine, category: string, objective: string): Promise<Task> {
  const { task } = await engine.submit({
    source: "test",
    requester: "owner",
    category,
    text: `Objective: ${objective}\nDone when: it is done`,
  });
  return task;
}

/** Polls until `condition` holds; fails naming `what` (and the task states) on timeout. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = "the condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function waitForState(
  engine: Engine,
  taskId: number,
  state: TaskState,
  timeoutMs = 5000,
): Promise<void> {
  return waitFor(
    async () => (await engine.task(taskId)).state === state,
    timeoutMs,
    `T-${taskId} to be ${state} (it is ${(await engine.findTask(taskId))?.state})`,
  );
}

/** Attempts the task may still use: what a failure that is not the task's must not burn. */
export async function budgetLeft(engine: Engine, taskId: number): Promise<number> {
  const task = await engine.task(taskId);
  return task.maxAttempts - task.attempts;
}

/** The states a task went through, from its events. */
export async function states(engine: Engine, taskId: number): Promise<TaskState[]> {
  return (await engine.detail(taskId)).events.map((event) => event.to);
}

export async function outboxMessages(engine: Engine): Promise<OutboxMessage[]> {
  return (await engine.outbox.pending(1000)).map((pending) => pending.message);
}

export interface RecordedRun extends ShellPayload {
  pid: number;
}

/** What each shell attempt of a task received, in order. */
export function runsOf(records: string, taskId: number): RecordedRun[] {
  const file = path.join(records, "runs.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as RecordedRun)
    .filter((run) => run.id === taskId);
}

/** Pids of live processes whose command line mentions `marker` (Linux: read from /proc). */
export function processesWith(marker: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        // A zombie has exited; it only waits to be reaped.
        return cmdline.includes(marker) && !/\) Z /.test(stat);
      } catch {
        return false;
      }
    })
    .map(Number);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A real HTTP server on 127.0.0.1, stopped after the test. */
export async function httpServer(
  handler: TestServer["handler"],
): Promise<{ server: TestServer; url: string }> {
  const server = new TestServer();
  server.handler = handler;
  const url = await server.start();
  servers.push(server);
  return { server, url };
}

/** A port nothing listens on (yet): taken from the OS, then released. */
export async function reservePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

/** Starts answering on a port reserved earlier: the dependency comes back. */
export async function listenOn(
  port: number,
  handler: (response: ServerResponse) => void,
): Promise<Server> {
  const server = createServer((_request, response) => handler(response));
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  servers.push({
    stop: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  });
  return server;
}

/** The OpenAI chat completion shape around `content`. */
export function completion(content: string): string {
  return JSON.stringify({
    id: "chatcmpl-policy",
    object: "chat.completion",
    created: 1_700_000_000,
    model: "test-model",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 30, completion_tokens: 10, total_tokens: 40 },
  });
}

/** A fake OpenAI-compatible server answering `answers` in turn (the last one repeats). */
export async function openAiServer(
  answers: string[],
): Promise<{ server: TestServer; baseUrl: string }> {
  let served = 0;
  const { server, url } = await httpServer((request, response) => {
    if (request.method !== "POST" || request.url !== "/v1/chat/completions") {
      reply(response, 404, "not found");
      return;
    }
    const answer = answers[Math.min(served++, answers.length - 1)] ?? "";
    reply(response, 200, completion(answer), { "content-type": "application/json" });
  });
  return { server, baseUrl: `${url}/v1` };
}
