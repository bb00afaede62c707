import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  InputError,
  LogicError,
  SystemicError,
  TransientError,
  WorkerFailure,
} from "../../../src/core/failures.js";
import { classOfExitCode, EXIT_CODE_CLASSES } from "../../../src/workers/kinds/shell.js";
import { fixture, makeContext, makeTask, rejectionOf, runnerFor } from "./helpers.js";

const node = process.execPath;
let scratch: string;

beforeEach(() => {
  scratch = mkdtempSync(path.join(tmpdir(), "steward-shell-"));
});
afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe("shell worker", () => {
  it("passes the task as JSON on stdin and returns trimmed stdout", async () => {
    const run = runnerFor({ kind: "shell", command: [node, fixture("shell-echo.mjs")] });
    const result = await run(makeTask({ objective: "  Say hello  " }), makeContext());
    expect(result.output).toBe("Say hello");
  });

  it("works with an inline -e script and a cwd relative to the config folder", async () => {
    const script =
      "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const t=JSON.parse(s);" +
      "console.log([t.id,t.category,t.attempt,process.cwd()].join('|'))})";
    const run = runnerFor({ kind: "shell", command: [node, "-e", script], cwd: ".." });
    const result = await run(makeTask(), makeContext({ configDir: path.join(scratch, "config") }));
    expect(result.output).toBe(`17|support|1|${scratch}`);
  });

  it("never lets task text reach a shell or argv", async () => {
    const marker = path.join(scratch, "pwned");
    const canary = path.join(scratch, "canary");
    mkdirSync(canary);
    const objective = `$(touch ${marker}); rm -rf ${canary} ; \`touch ${marker}\` && id > ${marker}`;
    const script =
      "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.stringify(" +
      "{objective:JSON.parse(s).brief.objective,argv:process.argv})))";
    const run = runnerFor({ kind: "shell", command: [node, "-e", script] });

    const result = await run(makeTask({ objective }), makeContext());

    const seen = JSON.parse(result.output) as { objective: string; argv: string[] };
    expect(seen.objective).toBe(objective);
    expect(seen.argv.join(" ")).not.toContain("touch");
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(canary)).toBe(true);
  });

  it("passes only allow-listed variables, plus PATH", async () => {
    const run = runnerFor({
      kind: "shell",
      command: [node, fixture("shell-env.mjs")],
      env: ["STEWARD_VISIBLE", "STEWARD_UNSET"],
    });
    const env = { PATH: process.env.PATH, STEWARD_VISIBLE: "yes", STEWARD_SECRET: "hunter2" };
    const result = await run(makeTask(), makeContext({ env }));
    expect(JSON.parse(result.output)).toEqual(["PATH", "STEWARD_VISIBLE"]);
  });

  describe("exit codes", () => {
    const cases: [number, new (...args: never[]) => WorkerFailure][] = [
      [75, TransientError],
      [64, InputError],
      [65, InputError],
      [66, InputError],
      [69, SystemicError],
      [70, LogicError],
    ];

    it.each(cases)("exit %i becomes %O", async (code, errorClass) => {
      const run = runnerFor({
        kind: "shell",
        command: [node, fixture("shell-exit.mjs"), `${code}`],
      });
      const error = await rejectionOf(run(makeTask(), makeContext()));
      expect(error).toBeInstanceOf(errorClass);
      expect((error as Error).message).toContain(`exited with code ${code}`);
      expect((error as Error).message).toContain(`failing on purpose with ${code}`);
    });

    it("documents the same map it applies", () => {
      expect(EXIT_CODE_CLASSES).toEqual({
        64: "input",
        65: "input",
        66: "input",
        69: "systemic",
        70: "logic",
        75: "transient",
      });
      expect(classOfExitCode(3)).toBeUndefined();
      expect(classOfExitCode(75, { "75": "systemic" })).toBe("systemic");
    });

    it("leaves other codes unclassified, as a plain Error with stderr in the message", async () => {
      const run = runnerFor({ kind: "shell", command: [node, fixture("shell-exit.mjs"), "3"] });
      const error = await rejectionOf(run(makeTask(), makeContext()));
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(WorkerFailure);
      expect((error as Error).message).toMatch(/exited with code 3: failing on purpose with 3/);
    });

    it("lets exit_codes in config override and extend the defaults", async () => {
      const exitCodes = { "3": "logic", "75": "systemic" };
      const three = runnerFor({
        kind: "shell",
        command: [node, fixture("shell-exit.mjs"), "3"],
        exit_codes: exitCodes,
      });
      const tempfail = runnerFor({
        kind: "shell",
        command: [node, fixture("shell-exit.mjs"), "75"],
        exit_codes: exitCodes,
      });
      expect(await rejectionOf(three(makeTask(), makeContext()))).toBeInstanceOf(LogicError);
      expect(await rejectionOf(tempfail(makeTask(), makeContext()))).toBeInstanceOf(SystemicError);
    });

    it("treats a child killed by a signal as transient", async () => {
      const run = runnerFor({ kind: "shell", command: [node, fixture("shell-self-kill.mjs")] });
      const error = await rejectionOf(run(makeTask(), makeContext()));
      expect(error).toBeInstanceOf(TransientError);
      expect((error as Error).message).toContain("SIGKILL");
    });
  });

  it("kills the child promptly when the signal aborts", async () => {
    const pidFile = path.join(scratch, "pid");
    const run = runnerFor({
      kind: "shell",
      command: [node, fixture("shell-sleep.mjs")],
      env: ["PID_FILE"],
    });
    const controller = new AbortController();
    const started = Date.now();
    const running = run(
      makeTask(),
      makeContext({ signal: controller.signal, env: { PID_FILE: pidFile } }),
    );

    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, "utf8") !== "");
    controller.abort(new Error("timed out after 30s"));
    const error = await rejectionOf(running);

    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe("timed out after 30s");
    const pid = Number(readFileSync(pidFile, "utf8"));
    await waitFor(() => !isAlive(pid));
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("refuses at once when the signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort(new Error("shutting down"));
    const run = runnerFor({ kind: "shell", command: [node, fixture("shell-echo.mjs")] });
    const error = await rejectionOf(run(makeTask(), makeContext({ signal: controller.signal })));
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe("shutting down");
  });

  it("reports a missing executable as systemic", async () => {
    const run = runnerFor({ kind: "shell", command: ["steward-no-such-program-xyz", "--help"] });
    const error = await rejectionOf(run(makeTask(), makeContext()));
    expect(error).toBeInstanceOf(SystemicError);
    expect((error as Error).message).toMatch(/executable not found: steward-no-such-program-xyz/);
  });

  it("reports a missing working directory as systemic", async () => {
    const run = runnerFor({ kind: "shell", command: [node, "-e", ""], cwd: "no-such-dir" });
    const error = await rejectionOf(run(makeTask(), makeContext()));
    expect(error).toBeInstanceOf(SystemicError);
    expect((error as Error).message).toMatch(/working directory not found/);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
