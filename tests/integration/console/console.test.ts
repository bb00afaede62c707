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
import { fastConfig } from "../../steward-process.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
/** Below the hook timeout (30 s), so a stuck console fails with its transcript. */
const RUN_TIMEOUT_MS = 28_000;

/**
 * The default config made to escalate quickly: groups are posted 500 ms after their first
 * failure (not 5 min), and `finance` runs a shell worker that fails its first attempt with
 * EX_TEMPFAIL and succeeds on the next, with one attempt allowed before escalating.
 */
function escalatingConfig(dir: string): string {
  const file = fastConfig(dir);
  const flaky = [
    "let s='';process.stdin.on('data',d=>{s+=d}).on('end',()=>{const p=JSON.parse(s);",
    "if(p.attempt<2){console.error('payment API timed out');process.exit(75)}",
    "console.log('Reconciled: '+p.brief.objective)})",
  ].join("");
  const edits: [RegExp, string][] = [
    [/escalation: \{ batch_window: 5m,/, "escalation: { batch_window: 500ms,"],
    [
      /worker: demo-writer(\n {4}defaults:\n {6}output_format: a table with totals\n {4}limits: \{) max_attempts: 2, concurrency: 1,/,
      "worker: flaky$1 max_attempts: 1, concurrency: 2,",
    ],
    [
      /^workers:\n/m,
      `workers:\n  flaky:\n    kind: shell\n    command: [${JSON.stringify(process.execPath)}, "-e", ${JSON.stringify(flaky)}]\n`,
    ],
  ];
  let yaml = readFileSync(file, "utf8");
  for (const [pattern, replacement] of edits) {
    const edited = yaml.replace(pattern, replacement);
    if (edited === yaml) throw new Error(`config/steward.yaml no longer matches ${pattern}`);
    yaml = edited;
  }
  writeFileSync(file, yaml);
  return file;
}

interface Transcript {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A pause in the script: the next lines are typed once the transcript shows `until`. */
interface WaitFor {
  until: string;
}

/**
 * Pipes `script` into a fresh console and returns what it printed once it exits by itself.
 * A `WaitFor` holds the rest back, as a person reads a card before answering it.
 */
function pipeIntoConsole(
  script: readonly (string | WaitFor)[],
  configOf: (dir: string) => string = fastConfig,
): Promise<Transcript> {
  const dir = tempDir();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    STEWARD_DB: join(dir, "steward.db"),
    STEWARD_CONFIG: configOf(dir),
    // Concurrent consoles each start the HTTP server: a free port apiece.
    STEWARD_HTTP_PORT: "0",
    USER: "owner",
  };
  delete env.DISCORD_TOKEN;
  const child = spawn(process.execPath, ["bin/steward.js", "console"], { cwd: ROOT, env });
  let stdout = "";
  let stderr = "";
  const steps = [...script];
  const feed = () => {
    const lines: string[] = [];
    for (let step = steps[0]; step !== undefined; step = steps[0]) {
      if (typeof step !== "string" && !stdout.includes(step.until)) break;
      steps.shift();
      if (typeof step === "string") lines.push(step);
    }
    if (lines.length > 0) child.stdin.write(`${lines.join("\n")}\n`);
    if (steps.length === 0 && !child.stdin.writableEnded) child.stdin.end();
  };
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    feed();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  feed();
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      const waiting = steps[0] === undefined ? "" : ` (waiting for ${JSON.stringify(steps[0])})`;
      fail(
        new Error(
          `the console did not exit in time${waiting}.\nstdout:\n${stdout}\nstderr:\n${stderr}`,
        ),
      );
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

/**
 * Two failures of one cause become one group, retried as a whole; a group of one is rerouted;
 * a request that fits no category has its group's brief edited.
 */
const GROUP_SCRIPT: readonly (string | WaitFor)[] = [
  // T-1 and T-2: finance, whose worker fails the first attempt of each.
  "/task objective: Reconcile Stripe payouts with the bank statement acceptance: totals match",
  "/task objective: Prepare the quarterly VAT summary from the payment export acceptance: totals match",
  { until: "retry E-1" },
  "retry E-1",
  "wait",
  // T-3: alone in its group, whose message points at the task's card.
  "/task objective: Reconcile the March payouts acceptance: totals match",
  { until: "reroute E-2" },
  "reroute e2 research",
  "wait",
  // T-4: fits no category; its group's brief is edited field by field, and it finds one.
  "/task objective: asdf qwerty zxcv acceptance: zxcv",
  { until: "cancel E-3" },
  "edit E3",
  "Compare the three cheapest transactional email providers",
  "",
  "",
  "",
  "",
  "wait",
  "retry E1",
  "cancel E-9",
];

describe("console over a pipe: escalation groups", () => {
  let run: Transcript;
  beforeAll(async () => {
    run = await pipeIntoConsole(GROUP_SCRIPT, escalatingConfig);
  });

  it("ends by itself with exit code 0", () => {
    expect(run.code, run.stderr).toBe(0);
  });

  it("two failures of one cause are one group card, retried as a whole with retry E-1", () => {
    // The two tasks run at once: which one fails first is up to the scheduler.
    const group = run.stdout.indexOf("⚠ E-1 · 2 tasks");
    for (const id of ["T-1", "T-2"]) {
      const card = run.stdout.indexOf(`⚠ ${id} escalated — needs your decision`);
      expect(card).toBeGreaterThanOrEqual(0);
      expect(card).toBeLessThan(group);
    }
    expectInOrder(run.stdout, [
      "⚠ E-1 · 2 tasks in finance failed (transient): shell worker",
      "  What Steward was trying to do",
      "    2 tasks (T-1, T-2). First, T-1: Reconcile Stripe payouts with the bank statement",
      "  What went wrong",
      "payment API timed out",
      "  What was already tried",
      "    T-1: 1 attempt",
      "    T-2: 1 attempt",
      "  What decision is needed",
      "  Actions (on the whole group)",
      "    retry E-1",
      "    reroute E-1 <support|content|engineering|research|admin>",
      "    cancel E-1",
      "  One task only: the same with its id, e.g. reroute T-1 <category> or cancel T-2",
      "E-1 retried: 2 tasks",
      "  T-1 → queued, a worker will pick it up",
      "  T-2 → queued, a worker will pick it up",
      "  E-1 is resolved",
      "✓ E-1 resolved: retried by owner",
    ]);
    const card = run.stdout.slice(run.stdout.indexOf("⚠ E-1"), run.stdout.indexOf("E-1 retried"));
    expect(card).not.toMatch(/\*\*|`|button/);
    expect(run.stdout).toMatch(/✓ T-1 done · finance · .*, 2 attempts\n {2}Reconciled: /);
    expect(run.stdout).toMatch(/✓ T-2 done · finance · .*, 2 attempts/);
  });

  it("a group of one points at its task's card, and reroute e2 moves the task", () => {
    expectInOrder(run.stdout, [
      "⚠ T-3 escalated — needs your decision",
      "  What Steward was trying to do",
      "    retry T-3",
      "⚠ E-2 · 1 task in finance failed (transient)",
      "  Covers:    T-3 (its four questions are in the T-3 card above)",
      "  Actions:   retry E-2  ·  reroute E-2 <support|content|engineering|research|admin>  ·  cancel E-2",
      "E-2 rerouted to research: 1 task",
      "  T-3 → research · queued, a worker will pick it up",
      "  E-2 is resolved",
      "✓ E-2 resolved: rerouted to research by owner",
      "✓ T-3 done · research",
    ]);
    const pointer = run.stdout.slice(
      run.stdout.indexOf("⚠ E-2"),
      run.stdout.indexOf("E-2 rerouted"),
    );
    expect(pointer).not.toContain("What went wrong");
  });

  it("edit E-3 asks for the brief once, and the edited task finds its category", () => {
    expectInOrder(run.stdout, [
      "⚠ T-4 escalated — needs your decision",
      "⚠ E-3 · 1 task in unsorted",
      "  Covers:    T-4 (its four questions are in the T-4 card above)",
      "  Actions:   reroute E-3 <support|content|engineering|research|finance|admin>  ·  cancel E-3",
      "Editing E-3 (T-4): an empty line keeps a field; list fields add items.",
      "  Objective: Compare the three cheapest transactional email providers",
      "  Acceptance criteria: (skipped)",
      "E-3 brief edited: 1 task",
      "  T-4 → queued, a worker will pick it up",
      "  E-3 is resolved",
      "✓ E-3 resolved: brief edited by owner",
      "✓ T-4 done · research",
    ]);
  });

  it("a decision on a resolved or unknown group changes nothing and says why", () => {
    expectInOrder(run.stdout, [
      "✓ T-4 done · research",
      "! E-1 was already resolved (retried by owner); nothing changed.",
      "! E-9 does not exist",
    ]);
  });
});
