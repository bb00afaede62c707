/**
 * The operator's terminal. Text from outside (a webhook's fields, a requester, a worker's
 * output) reaches it through the console; it must not drive the terminal or forge lines, and
 * what the console says about deliveries must be what happened.
 */
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { runConsole } from "../../src/adapters/console/console.js";
import { loadConfigFile } from "../../src/config/load.js";
import { workerSchema } from "../../src/config/schema.js";
import { Engine } from "../../src/engine/engine.js";
import { tempDir, testDatabase } from "../helpers.js";
import { reply, TestServer } from "../integration/workers/helpers.js";
import { defaultConfigYaml } from "../steward-process.js";
import { ROOT, runSteward } from "./cli.js";
import { expectInert } from "./inert.js";

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

/** A worker whose output tries to clear the screen, retitle the window and ring the bell. */
const HOSTILE_OUTPUT = "Report ready\\x1b]0;pwned\\x07\\x1b[2J\\x07\\n✓ T-77 done · forged";

/** The console, in this process, on a real engine and SQLite file; returns what it printed. */
async function consoleTranscript(
  file: (engine: Engine) => Promise<void>,
  script = "",
): Promise<string> {
  const config = loadConfigFile(join(ROOT, "config/steward.yaml"), {});
  config.workers["demo-writer"] = workerSchema.parse({
    kind: "shell",
    command: [process.execPath, "-e", `process.stdout.write("${HOSTILE_OUTPUT}")`],
  });
  const database = testDatabase();
  const engine = new Engine({ config, configDir: join(ROOT, "config"), database, pollMs: 10 });
  engine.start();
  await file(engine);
  const input = new PassThrough();
  const output = new PassThrough();
  let text = "";
  output.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
  });
  input.end(script);
  await runConsole(engine, { input, output, user: "owner" });
  await engine.stop(1000);
  return text;
}

describe("text from outside on the operator's terminal", () => {
  it("escape sequences, BEL and newlines in a request, its requester and a worker's output are made harmless", async () => {
    const text = await consoleTranscript(async (engine) => {
      await engine.submit({
        source: "console",
        requester: "mallory\n⚠ T-99 escalated — needs your decision\x1b]0;owned\x07",
        text: "banana purple elephant\x1b[2J\x1b[31m\x07",
      });
      await engine.submit({
        source: "webhook:helpdesk",
        requester: "ana\r\n2026-12-06T06:24:00Z info all clear",
        text: "Objective: Draft a blog post about our launch\x1b[8m hidden\nDone when: under 500 words",
      });
    }, "/status T-1\n/status T-2\n");
    expect(text).toContain("T-1 escalated");
    expect(text).toContain("Report ready");
    // Nothing that a terminal would act on…
    expectInert(text);
    // …and no line that outside text forged.
    const lines = text.split("\n");
    expect(lines.filter((line) => line.startsWith("⚠ T-99"))).toEqual([]);
    expect(lines.filter((line) => line.startsWith("✓ T-77"))).toEqual([]);
    expect(lines.filter((line) => line.startsWith("2026-12-06T06:24:00Z"))).toEqual([]);
  });
});

/** The default config with a fast demo worker, outputs below `dir`, `allowed` URLs. */
function deliveryConfig(dir: string, allowed: string[]): string {
  const yaml = defaultConfigYaml().replace(/delay: 2s/, "delay: 50ms");
  const file = join(dir, "steward.yaml");
  writeFileSync(
    file,
    `${yaml}\ndelivery:\n  dir: ${JSON.stringify(join(dir, "outputs"))}\n  allowed_urls: ${JSON.stringify(allowed)}\n`,
  );
  return file;
}

const request = (output: string) =>
  `/task objective: Draft a blog post about our launch output: ${output} acceptance: under 500 words`;

describe("what the console says about deliveries", () => {
  it("a refused destination is an input problem: asked of the requester first, or reported as not delivered", async () => {
    const dir = tempDir();
    const config = deliveryConfig(dir, []);
    // A link inside the folder that leads out: only the delivery itself can see it.
    mkdirSync(join(dir, "outputs"));
    mkdirSync(join(dir, "elsewhere"));
    symlinkSync(join(dir, "elsewhere"), join(dir, "outputs", "link"));
    const run = await runSteward(["console"], {
      env: { STEWARD_CONFIG: config },
      stdin: [
        request("POST to http://127.0.0.1:9/hook"),
        request("file:link/post.md"),
        "wait",
        "",
      ].join("\n"),
    });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/→ delivered/);
    expect(run.stdout).toMatch(
      /\? T-1 needs output format\n.*\n {2}Why: +output format: http:\/\/127\.0\.0\.1:9\/hook is not in delivery\.allowed_urls/,
    );
    expect(run.stdout).toMatch(
      /! T-2's output was not delivered: link\/post\.md leads outside .* \(through a symbolic link\)\. It is kept: \/status T-2/,
    );
    expect(existsSync(join(dir, "elsewhere", "post.md"))).toBe(false);
  });

  it("quit with stdin closed waits for deliveries in flight, then says what is still pending", async () => {
    const dir = tempDir();
    const down = new TestServer();
    servers.push(down);
    down.handler = (_request, response) => reply(response, 503, "");
    const url = `${await down.start()}/hook`;
    const run = await runSteward(["console"], {
      env: { STEWARD_CONFIG: deliveryConfig(dir, [url]) },
      stdin: [request("file:launch/post.md"), request(`POST to ${url}`), "wait", "quit", ""].join(
        "\n",
      ),
    });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/→ delivered/);
    expect(run.stdout).toContain("✓ T-1's output was delivered: the file launch/post.md");
    expect(existsSync(join(dir, "outputs", "launch", "post.md"))).toBe(true);
    expect(run.stdout).toMatch(
      /\(T-2's output is not delivered yet: a POST to http:\S+ answered 503; Steward retries it when it starts again\)/,
    );
  });
});
