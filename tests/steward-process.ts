/**
 * Steward as an operator runs it: the real CLI in its own process, its JSON log lines read as
 * they come. Processes still running when a test ends are killed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Runs the TypeScript sources, as the tests of the code under change should. */
export const FROM_SOURCE = ["--import", "tsx", join(ROOT, "src/cli.ts")];

export interface LogEntry {
  level: string;
  msg: string;
  [key: string]: unknown;
}

export interface StewardProcess {
  child: ChildProcess;
  logs: LogEntry[];
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first log entry whose message is `msg` (or matches it). */
  logged(msg: string | RegExp, timeoutMs?: number): Promise<LogEntry>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const live = new Set<ChildProcess>();
afterEach(() => {
  for (const child of live) child.kill("SIGKILL");
  live.clear();
});

/** The default config, with the demo worker's 2 s delay cut to 100 ms. */
/** The default config's text, its corpus named by absolute path so the copy loads anywhere. */
export function defaultConfigYaml(): string {
  const yaml = readFileSync(join(ROOT, "config/steward.yaml"), "utf8");
  const absolute = yaml.replace(
    "corpus: routing-corpus.jsonl",
    `corpus: ${JSON.stringify(join(ROOT, "config/routing-corpus.jsonl"))}`,
  );
  if (absolute === yaml) throw new Error("config/steward.yaml no longer names its corpus");
  return absolute;
}

export function fastConfig(dir: string): string {
  const yaml = defaultConfigYaml();
  const fast = yaml.replace(/delay: 2s/, "delay: 100ms");
  if (fast === yaml) throw new Error("config/steward.yaml no longer has `delay: 2s` to shorten");
  const file = join(dir, "steward.yaml");
  writeFileSync(file, fast);
  return file;
}

export function launch(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { command?: string[]; cwd?: string; stdin?: "ignore" | "pipe" } = {},
): StewardProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, LOG_FORMAT: "json", ...env };
  if (env.DISCORD_TOKEN === undefined) delete childEnv.DISCORD_TOKEN;
  const child = spawn(process.execPath, [...(options.command ?? FROM_SOURCE), ...args], {
    cwd: options.cwd ?? ROOT,
    env: childEnv,
    stdio: [options.stdin ?? "ignore", "pipe", "pipe"],
  });
  live.add(child);
  let stdout = "";
  let stderr = "";
  const logs: LogEntry[] = [];
  const watchers = new Set<() => void>();
  let partial = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    stderr += text;
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as LogEntry);
      } catch {
        // Not a log line (a crash's stack): kept in stderr().
      }
    }
    for (const watch of watchers) watch();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once("close", (code, signal) => {
      live.delete(child);
      done({ code, signal });
      for (const watch of watchers) watch();
    }),
  );
  const logged = (msg: string | RegExp, timeoutMs = 20_000) =>
    new Promise<LogEntry>((done, fail) => {
      const find = () =>
        logs.find((entry) => (typeof msg === "string" ? entry.msg === msg : msg.test(entry.msg)));
      const timer = setTimeout(() => {
        watchers.delete(check);
        fail(new Error(`no log line ${msg} after ${timeoutMs} ms; stderr:\n${stderr}`));
      }, timeoutMs);
      const check = () => {
        const entry = find();
        if (entry !== undefined) {
          clearTimeout(timer);
          watchers.delete(check);
          done(entry);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer);
          watchers.delete(check);
          fail(new Error(`Steward exited before logging ${msg}; stderr:\n${stderr}`));
        }
      };
      watchers.add(check);
      check();
    });
  return { child, logs, stdout: () => stdout, stderr: () => stderr, logged, exited };
}

/** Polls `check` until it returns a value other than undefined. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((wake) => setTimeout(wake, 50));
  }
}
