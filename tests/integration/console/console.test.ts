/**
 * The console as a person scripts it: the real CLI (`node bin/steward.js console`) in its own
 * process, a fresh SQLite file, the default config with a faster demo worker, a script piped
 * into stdin, and assertions on the transcript it prints.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../helpers.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
/** Below the hook timeout (30 s), so a stuck console fails with its transcript. */
const RUN_TIMEOUT_MS = 28_000;

/** The default config, with the demo worker's 2 s delay cut to 100 ms. */
function fastConfig(dir: string): string {
  const yaml = readFileSync(join(ROOT, "config/steward.yaml"), "utf8");
  const fast = yaml.replace(/delay: 2s/, "delay: 100ms");
  if (fast === yaml) throw new Error("config/steward.yaml no longer has `delay: 2s` to shorten");
  const file = join(dir, "steward.yaml");
  writeFileSync(file, fast);
  return file;
}

interface Transcript {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Pipes `lines` into a fresh console and returns what it printed once it exits by itself. */
function pipeIntoConsole(lines: readonly string[]): Promise<Transcript> {
  const dir = tempDir();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    STEWARD_DB: join(dir, "steward.db"),
    STEWARD_CONFIG: fastConfig(dir),
    // Concurrent consoles each start the HTTP server: a free port apiece.
    STEWARD_HTTP_PORT: "0",
    USER: "owner",
  };
  delete env.DISCORD_TOKEN;
  const child = spawn(process.execPath, ["bin/steward.js", "console"], { cwd: ROOT, env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.end(`${lines.join("\n")}\n`);
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`the console did not exit in time.\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, RUN_TIMEOUT_MS);
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** Each fragment appears, in this order. */
function expectInOrder(text: string, fragments: readonly (string | RegExp)[]): void {
  let from = 0;
  for (const fragment of fragments) {
    const rest = text.slice(from);
    const match = typeof fragment === "string" ? rest.indexOf(fragment) : rest.search(fragment);
    expect(match, `${String(fragment)} after offset ${from} in:\n${text}`).toBeGreaterThanOrEqual(
      0,
    );
    from += match + 1;
  }
}

/** One session, as a person would script it: three stories, then a few mistakes. */
const SCRIPT = [
  // T-1: complete, runs to done.
  "/task objective: Draft a post about the launch acceptance: under 500 words",
  "wait",
  // T-2: no acceptance criteria, answered in one line.
  "Draft a blog post about our launch",
  "answer T-2 under 500 words",
  "wait T-2",
  "/status T-2",
  // T-3: fits no category, escalated, rerouted by the operator.
  "/task objective: asdf qwerty zxcv acceptance: zxcv",
  "reroute T-3 research",
  "wait T-3",
  "/status",
  "cancel T-9",
  "/bogus",
  "/review",
  // T-4: field by field; the input ends while it runs.
  "/task",
  "Write this week's newsletter from the changelog",
  "",
  "",
  "",
  "mentions every change",
];

describe("console over a pipe", () => {
  let run: Transcript;
  beforeAll(async () => {
    run = await pipeIntoConsole(SCRIPT);
  });

  it("ends by itself with exit code 0 and no prompt in the transcript", () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain("steward>");
  });

  it("a complete task is filed, runs, and its output is printed", () => {
    expectInOrder(run.stdout, [
      "T-1 · content · queued",
      /Rule: +\S+ \(\d\.\d\d\) — /,
      "Next:      a worker will pick it up",
      "T-1 running (attempt 1)",
      "T-1 done",
      "✓ T-1 done · content",
      "# Draft a post about the launch",
      "under 500 words",
    ]);
  });

  it("a task missing its acceptance criteria is answered in one line, then done", () => {
    expectInOrder(run.stdout, [
      "T-2 · content · needs clarification",
      "Missing:   acceptance criteria",
      "answer T-2 <acceptance criteria>  (one line)",
      "edit T-2  (field by field)",
      "? T-2 needs acceptance criteria",
      "Answer:    answer T-2 <acceptance criteria>",
      "Or:        edit T-2",
      "T-2 · content · queued",
      "T-2 running (attempt 1)",
      "✓ T-2 done · content",
      "T-2 · content · done since",
      "Acceptance criteria: - under 500 words",
      "Routing",
      "Rule:       content.keywords",
      "Timeline",
      "intake → needs_clarification  by owner — missing acceptance criteria",
      "needs_clarification → queued  by owner",
      "reviewing → done",
    ]);
  });

  it("a request that fits no category is escalated with the four questions, then rerouted", () => {
    expectInOrder(run.stdout, [
      "T-3 · unsorted · escalated",
      "⚠ T-3 escalated — needs your decision",
      "  What Steward was trying to do",
      "    asdf qwerty zxcv",
      "    category unsorted · from owner via console",
      "  What went wrong",
      "    does not fit any category",
      "  What was tried",
      "    routing: catch_all",
      "    no attempts: it never reached a worker",
      "  Decision needed",
      "  Actions",
      "    reroute T-3 <support|content|engineering|research|finance|admin>",
      "    edit T-3",
      "    cancel T-3",
      "T-3 rerouted to research · queued",
      "T-3 running (attempt 1)",
      "✓ T-3 done · research",
    ]);
    const card = run.stdout.slice(run.stdout.indexOf("⚠ T-3"), run.stdout.indexOf("T-3 rerouted"));
    expect(card).not.toContain("retry T-3");
  });

  it("status counts the tasks; mistakes print one line and the session goes on", () => {
    expectInOrder(run.stdout, [
      "✓ T-3 done · research",
      "Steward status · 3 tasks",
      "By state:     done 3",
      "By category:  content 2 · research 1",
      "! T-9 does not exist",
      "! unknown command /bogus: type help for the list",
      "(not built yet) the monthly review arrives with the monitoring work",
    ]);
  });

  it("a guided /task asks each field in turn, and the end of input waits for its output", () => {
    expectInOrder(run.stdout, [
      "New task: answer each question; an empty line skips it.",
      "  Objective: Write this week's newsletter from the changelog",
      "  Inputs: (skipped)",
      "  Constraints: (skipped)",
      "  Output format: (skipped)",
      "  Acceptance criteria: mentions every change",
      "T-4 · content · queued",
      "✓ T-4 done · content",
    ]);
  });
});
