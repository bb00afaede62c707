/**
 * Shell worker: runs a program with the task as JSON on stdin; its trimmed stdout is the output.
 *
 * Safety: the command comes from config only and runs with `shell: false`; task text travels on
 * stdin and never reaches argv or a shell string. The child sees only the environment variables
 * listed in `env`, plus PATH.
 *
 * stdin, one JSON object: { "id", "category", "attempt", "brief": { objective, inputs,
 * constraints, output_format, acceptance_criteria } }
 *
 * Exit codes (from sysexits.h); `exit_codes` in the worker's config overrides any of them:
 *   0                  success: trimmed stdout is the output
 *   75 EX_TEMPFAIL     transient  (try again later)
 *   64 EX_USAGE        input      (the brief cannot be used as given)
 *   65 EX_DATAERR      input
 *   66 EX_NOINPUT      input
 *   69 EX_UNAVAILABLE  systemic   (a dependency is down: pause, do not burn attempts)
 *   70 EX_SOFTWARE     logic      (the worker could not produce acceptable output)
 *   anything else      plain Error: the policy's `classify` rules decide from the message,
 *                      which carries the last ~2 KB of stderr
 *   killed by a signal transient
 * A missing executable or working directory (ENOENT, EACCES) is systemic.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import path from "node:path";
import { type FailureClass, SystemicError, TransientError } from "../../core/failures.js";
import type {
  ShellWorkerConfig,
  WorkerContext,
  WorkerResult,
  WorkerRunner,
  WorkerTask,
} from "../runner.js";
import { abortError, failureOfClass, throwIfAborted } from "./common.js";

/** The documented defaults (see the comment above). */
export const EXIT_CODE_CLASSES: Readonly<Record<number, FailureClass>> = {
  64: "input",
  65: "input",
  66: "input",
  69: "systemic",
  70: "logic",
  75: "transient",
};

const EXIT_CODE_NAMES: Readonly<Record<number, string>> = {
  64: "EX_USAGE",
  65: "EX_DATAERR",
  66: "EX_NOINPUT",
  69: "EX_UNAVAILABLE",
  70: "EX_SOFTWARE",
  75: "EX_TEMPFAIL",
};

/** How much of stderr is kept for error messages. */
export const STDERR_TAIL_BYTES = 2048;
/** After SIGTERM on abort, how long a child gets before SIGKILL. */
const KILL_GRACE_MS = 2000;

/** What the child reads on stdin. */
export interface ShellPayload {
  id: number;
  category: string;
  attempt: number;
  brief: WorkerTask["brief"];
}

interface ChildOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function createShellRunner(name: string, config: ShellWorkerConfig): WorkerRunner {
  const label = `shell worker "${name}"`;
  return async (task, ctx) => {
    throwIfAborted(ctx.signal);
    const cwd = await workingDirectory(label, config.cwd, ctx.configDir);
    const outcome = await runChild(label, config.command, {
      cwd,
      env: childEnv(config.env, ctx.env),
      input: JSON.stringify(shellPayload(task)),
      signal: ctx.signal,
    });
    return interpretOutcome(label, outcome, config.exit_codes);
  };
}

export function shellPayload(task: WorkerTask): ShellPayload {
  return { id: task.id, category: task.category, attempt: task.attempt, brief: task.brief };
}

/** The failure class for a non-zero exit code: config overrides first, then the defaults. */
export function classOfExitCode(
  code: number,
  overrides: Readonly<Record<string, FailureClass>> = {},
): FailureClass | undefined {
  return overrides[String(code)] ?? EXIT_CODE_CLASSES[code];
}

/** Only allow-listed variables (and PATH, to find programs) reach the child. */
export function childEnv(
  allowed: readonly string[],
  env: WorkerContext["env"],
): Record<string, string> {
  const result: Record<string, string> = {};
  const pathValue = env.PATH ?? process.env.PATH;
  if (pathValue !== undefined) result.PATH = pathValue;
  for (const name of allowed) {
    const value = env[name];
    if (value !== undefined) result[name] = value;
  }
  return result;
}

/** `cwd` relative to the config folder (the default); checked so a typo reads as such. */
async function workingDirectory(
  label: string,
  cwd: string | undefined,
  configDir: string,
): Promise<string> {
  const resolved = path.resolve(configDir, cwd ?? ".");
  const isDirectory = await stat(resolved).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
  if (!isDirectory) throw new SystemicError(`${label}: working directory not found: ${resolved}`);
  return resolved;
}

interface RunOptions {
  cwd: string;
  env: Record<string, string>;
  input: string;
  signal: AbortSignal;
}

function runChild(label: string, command: string[], options: RunOptions): Promise<ChildOutcome> {
  const [program = "", ...args] = command;
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(program, args, {
        cwd: options.cwd,
        env: options.env,
        shell: false,
        // Its own process group, so an abort also stops whatever the child started.
        detached: process.platform !== "win32",
        stdio: ["pipe", "pipe", "pipe"],
        windowsHide: true,
      });
    } catch (error) {
      reject(spawnFailure(label, program, error));
      return;
    }

    const stdout: Buffer[] = [];
    const stderr = new TailBuffer(STDERR_TAIL_BYTES);
    let settled = false;
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      options.signal.removeEventListener("abort", onAbort);
      finish();
    };
    const onAbort = () => {
      stopChild(child);
      settle(() => reject(abortError(options.signal)));
    };

    child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error) => settle(() => reject(spawnFailure(label, program, error))));
    child.on("close", (code, signal) =>
      settle(() =>
        resolve({
          code,
          signal,
          stdout: Buffer.concat(stdout).toString("utf8"),
          stderr: stderr.text(),
        }),
      ),
    );
    options.signal.addEventListener("abort", onAbort, { once: true });

    // A child that exits without reading stdin makes the write fail with EPIPE: not our failure.
    child.stdin?.on("error", () => {});
    child.stdin?.end(options.input);
  });
}

function interpretOutcome(
  label: string,
  outcome: ChildOutcome,
  overrides: Readonly<Record<string, FailureClass>>,
): WorkerResult {
  const detail = outcome.stderr.trim() === "" ? "" : `: ${outcome.stderr.trim()}`;
  if (outcome.signal !== null) {
    throw new TransientError(`${label} was killed by ${outcome.signal}${detail}`);
  }
  const code = outcome.code ?? -1;
  if (code === 0) return { output: outcome.stdout.trim() };
  const codeName = EXIT_CODE_NAMES[code];
  const message = `${label} exited with code ${code}${codeName ? ` (${codeName})` : ""}${detail}`;
  const failureClass = classOfExitCode(code, overrides);
  throw failureClass === undefined ? new Error(message) : failureOfClass(failureClass, message);
}

function spawnFailure(label: string, program: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") {
    return new SystemicError(`${label}: executable not found: ${program} (ENOENT; check PATH)`);
  }
  if (code === "EACCES") {
    return new SystemicError(`${label}: executable not permitted: ${program} (EACCES)`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * SIGTERM to the whole group now, SIGKILL after a grace period: even when the child itself has
 * exited, something it started may still be running in its group.
 */
function stopChild(child: ChildProcess): void {
  signalChild(child, "SIGTERM");
  setTimeout(() => signalChild(child, "SIGKILL"), KILL_GRACE_MS).unref();
}

function signalChild(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    if (process.platform === "win32") child.kill(signal);
    else process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** Keeps the last `limit` bytes written to it. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size > this.limit * 2) this.compact();
  }

  text(): string {
    this.compact();
    return Buffer.concat(this.chunks).toString("utf8");
  }

  private compact(): void {
    const all = Buffer.concat(this.chunks);
    const kept = all.subarray(Math.max(0, all.length - this.limit));
    this.chunks = [kept];
    this.size = kept.length;
  }
}
