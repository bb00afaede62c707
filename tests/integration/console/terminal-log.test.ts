/**
 * The console on a real terminal (a pseudo-terminal through util-linux `script`): log lines
 * must not break into the line being typed. They go to the log file the console names.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../helpers.js";
import { eventually, FROM_SOURCE, fastConfig, ROOT } from "../../steward-process.js";
import { deliver } from "../http/setup.js";

const SECRET = "helpdesk-secret-for-the-terminal";
const shellQuote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;

describe.runIf(existsSync("/usr/bin/script"))("the console on a terminal", () => {
  it("writes the log to a file it names, never into the prompt", async () => {
    const dir = tempDir();
    const command = [process.execPath, ...FROM_SOURCE, "console"].map(shellQuote).join(" ");
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      cwd: ROOT,
      env: {
        ...process.env,
        STEWARD_DB: join(dir, "steward.db"),
        STEWARD_CONFIG: fastConfig(dir),
        STEWARD_HTTP_PORT: "0",
        HELPDESK_WEBHOOK_SECRET: SECRET,
        LOG_FORMAT: "json",
        TERM: "dumb",
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let screen = "";
    child.stdout.on("data", (chunk: Buffer) => {
      screen += chunk.toString();
    });
    const exited = new Promise<number | null>((done) => child.once("close", done));
    try {
      const logFile = join(dir, "steward.log");
      await eventually(
        () => (screen.includes(`Logs go to ${logFile}`) ? true : undefined),
        `the console names its log file; screen:\n${screen}`,
      );
      const logged = () =>
        readFileSync(logFile, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { msg: string; http?: string });
      const started = await eventually(
        () => logged().find((entry) => entry.msg === "steward started"),
        "steward started in the log file",
      );

      // Half a line typed, then a webhook makes Steward log while the prompt holds it.
      child.stdin.write("Draft a blog");
      await eventually(() => (screen.includes("Draft a blog") ? true : undefined), "echo");
      const body = JSON.stringify({ text: "Answer the refund request for order 7" });
      const filed = await deliver(started.http!, "helpdesk", body, { secret: SECRET });
      expect(filed.status).toBe(202);
      await eventually(
        () => logged().find((entry) => entry.msg.startsWith("webhook helpdesk: filed T-1")),
        "the webhook logged to the file",
      );
      child.stdin.write(" post about our launch\r");
      await eventually(
        () => (/T-2 · content ·/.test(screen) ? true : undefined),
        `the typed line filed whole; screen:\n${screen}`,
      );
      child.stdin.write("quit\r");
      expect(await exited).toBe(0);

      expect(screen).not.toContain('"level"');
      expect(screen).not.toContain("webhook helpdesk");
      expect(screen).toContain("Objective: Draft a blog post about our launch");
    } finally {
      child.kill("SIGKILL");
    }
  });
});
