/**
 * Helpers for the console as a person scripts it: the real CLI (`node bin/steward.js console`)
 * in its own process, a fresh SQLite file, a script piped into stdin, the transcript it prints.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { tempDir, withoutDefaultCriteria } from "../../helpers.js";
import { fastConfig } from "../../steward-process.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
/** Below the hook timeout (30 s), so a stuck console fails with its transcript. */
const RUN_TIMEOUT_MS = 28_000;

/**
 * The fast default config, with content asking for its acceptance criteria (rather than filling
 * in its defaults), so a script can answer a question.
 */
export function consoleConfig(dir: string): string {
  const file = fastConfig(dir);
  writeFileSync(file, withoutDefaultCriteria(readFileSync(file, "utf8"), "content"));
  return file;
}

/**
 * The default config made to escalate quickly: groups are posted 500 ms after their first
 * failure (not 5 min), and `finance` runs a shell worker that fails its first attempt with
 * EX_TEMPFAIL and succeeds on the next, with one attempt allowed before escalating.
 */
export function escalatingConfig(dir: string): string {
  const file = consoleConfig(dir);
  const flaky = [
    "let s='';process.stdin.on('data',d=>{s+=d}).on('end',()=>{const p=JSON.parse(s);",
    "if(p.attempt<2){console.error('payment API timed out');process.exit(75)}",
    "console.log('Reconciled: '+p.brief.objective)})",
  ].join("");
  const edits: [RegExp, string][] = [
    [/escalation: \{ batch_window: 5m,/, "escalation: { batch_window: 500ms,"],
    [
      /worker: demo-writer(\n {4}defaults:\n {6}output_format: a table with totals\n(?: {6}acceptance_criteria:[^\n]*\n)? {4}limits: \{) max_attempts: 2, concurrency: 1,/,
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

export interface Transcript {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A pause in the script: the next lines are typed once the transcript shows `until`. */
export interface WaitFor {
  until: string;
}

/**
 * Pipes `script` into a fresh console and returns what it printed once it exits by itself.
 * A `WaitFor` holds the rest back, as a person reads a card before answering it.
 */
export function pipeIntoConsole(
  script: readonly (string | WaitFor)[],
  configOf: (dir: string) => string = consoleConfig,
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
export function expectInOrder(text: string, fragments: readonly (string | RegExp)[]): void {
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
