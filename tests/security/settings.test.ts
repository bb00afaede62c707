/**
 * Bad settings and hostile config files: one clear line naming what to fix, exit code 1, no
 * stack trace. The real command line in its own process.
 */

import { once } from "node:events";
import { existsSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers.js";
import { ROOT, runSteward } from "./cli.js";

function expectOneClearLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split("\n");
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/^\s+at /m);
}

describe("bad settings", () => {
  it.each(["start", "console"])(
    "`%s` with STEWARD_HTTP_PORT=abc says so in one line and exits 1",
    async (command) => {
      const run = await runSteward([command], { env: { STEWARD_HTTP_PORT: "abc" } });
      expect(run.code).toBe(1);
      expectOneClearLine(
        run.stderr,
        /^STEWARD_HTTP_PORT: expected a port number from 0 to 65535, got "abc"$/,
      );
    },
  );

  it("a STEWARD_DB that cannot be opened is named", async () => {
    const file = join(tempDir(), "a-file");
    writeFileSync(file, "not a folder");
    const run = await runSteward(["console"], { env: { STEWARD_DB: join(file, "steward.db") } });
    expect(run.code).toBe(1);
    expectOneClearLine(run.stderr, /^STEWARD_DB: cannot open .*a-file\/steward\.db \(/);
  });

  it("a STEWARD_DB URL of another kind is refused, not opened as a path, and not echoed", async () => {
    const url = "mysql://steward:hunter2@127.0.0.1:3306/steward";
    const run = await runSteward(["status"], { env: { STEWARD_DB: url } });
    expect(run.code).toBe(1);
    expectOneClearLine(run.stderr, /^STEWARD_DB: expected a SQLite file path or a postgres:\/\//);
    expect(run.stderr).not.toContain("hunter2");
    // Opened as a path, the URL had made a folder named "mysql:" where Steward ran.
    expect(existsSync(join(ROOT, "mysql:"))).toBe(false);
  });

  it("a PostgreSQL STEWARD_DB that cannot be reached is named without its password", async () => {
    const url = "postgres://steward:hunter2@127.0.0.1:1/steward";
    const run = await runSteward(["status"], { env: { STEWARD_DB: url } });
    expect(run.code).toBe(1);
    expectOneClearLine(
      run.stderr,
      /^cannot open PostgreSQL at postgres:\/\/steward:\*\*\*@127\.0\.0\.1:1\/steward \(/,
    );
    expect(run.stderr).not.toContain("hunter2");
    expect(existsSync(join(ROOT, "postgres:"))).toBe(false);
  });

  it("a DISCORD_API_BASE that is not a URL is named", async () => {
    const run = await runSteward(["start"], {
      env: { DISCORD_TOKEN: "token", DISCORD_API_BASE: "not a url" },
    });
    expect(run.code).toBe(1);
    expectOneClearLine(run.stderr, /^DISCORD_API_BASE: expected a URL/);
  });

  it("a port another process holds is named with STEWARD_HTTP_PORT", async () => {
    const holder = createServer();
    holder.listen(0, "127.0.0.1");
    await once(holder, "listening");
    const { port } = holder.address() as AddressInfo;
    try {
      const run = await runSteward(["console"], { env: { STEWARD_HTTP_PORT: String(port) } });
      expect(run.code).toBe(1);
      const last = run.stderr.trim().split("\n").at(-1) ?? "";
      expect(last).toMatch(
        new RegExp(`127\\.0\\.0\\.1:${port} is already in use.*STEWARD_HTTP_PORT`),
      );
      expect(run.stderr).not.toMatch(/^\s+at /m);
    } finally {
      holder.close();
    }
  });

  it("a YAML alias bomb is refused, naming the file", async () => {
    const file = join(tempDir(), "bomb.yaml");
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (const [i, name] of ["b", "c", "d", "e", "f", "g"].entries()) {
      const previous = "abcdef"[i];
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`);
    }
    writeFileSync(file, `${levels.join("\n")}\n`);
    const run = await runSteward(["check-config", file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${file}: invalid configuration`);
    expect(run.stderr).toMatch(/aliases/);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });
});
