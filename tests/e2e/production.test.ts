/**
 * The production path on a fresh clone: build (with the dev dependencies, as a container's
 * build stage would), then run on the production dependencies alone (as `npm ci --omit=dev`
 * or `npm prune --omit=dev` leaves them), with the sources removed: `steward serve` from
 * dist/, a signed webhook in, the task done, SIGTERM, exit 0.
 *
 * The production dependencies are linked from this checkout's node_modules by the lockfile
 * (every top-level package not marked `dev`, one symlink each) instead of a real
 * `npm ci --omit=dev`: that would download and compile better-sqlite3 on every run (minutes),
 * and proves nothing more about Steward than which packages it can load.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { outsideReader, tempDir } from "../helpers.js";
import { deliver } from "../integration/http/setup.js";
import { eventually, launch, ROOT } from "../steward-process.js";

const SECRET = "helpdesk-secret-for-production";

function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, { dev?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([path, entry]) => path.startsWith("node_modules/") && entry.dev !== true)
    .map(([path]) => path)
    .filter((path) => !path.slice("node_modules/".length).includes("/node_modules/"));
}

describe("the production path", () => {
  it("a fresh clone builds, serves from dist/ on production dependencies, and stops cleanly", async () => {
    const clone = join(tempDir(), "steward");
    execFileSync("git", ["clone", "--quiet", ROOT, clone]);
    const installed = realpathSync(join(ROOT, "node_modules"));

    // Build stage: the dev dependencies are there (TypeScript), as after `npm ci`.
    symlinkSync(installed, join(clone, "node_modules"));
    execFileSync(
      process.execPath,
      [join(installed, "typescript/bin/tsc"), "-p", "tsconfig.build.json"],
      {
        cwd: clone,
      },
    );
    rmSync(join(clone, "node_modules"));

    // Run stage: production dependencies only, and no sources to fall back on.
    for (const path of productionPackages()) {
      const from = join(installed, path.slice("node_modules/".length));
      if (!existsSync(from)) continue;
      mkdirSync(dirname(join(clone, path)), { recursive: true });
      symlinkSync(from, join(clone, path));
    }
    expect(existsSync(join(clone, "node_modules/typescript"))).toBe(false);
    rmSync(join(clone, "src"), { recursive: true });
    rmSync(join(clone, "commands"), { recursive: true });

    const steward = launch(
      ["serve"],
      {
        STEWARD_FROM_SOURCE: "",
        STEWARD_HTTP_PORT: "0",
        HELPDESK_WEBHOOK_SECRET: SECRET,
        STEWARD_DB: "",
        STEWARD_CONFIG: "",
      },
      { command: ["bin/steward.js"], cwd: clone },
    );
    const started = await steward.logged("steward started", 30_000);
    expect(started).toMatchObject({ interface: "headless", database: "data/steward.db" });
    const http = started.http as string;
    const body = JSON.stringify({
      text: "Objective: Answer the refund request for order 4411\nDone when: the customer has a reply",
    });
    const filed = await deliver(http, "helpdesk", body, { secret: SECRET });
    expect(filed).toMatchObject({ status: 202, json: { task: "T-1", state: "queued" } });
    const reader = outsideReader(join(clone, "data/steward.db"));
    await eventually(() => (reader.state(1) === "done" ? true : undefined), "T-1 done");

    steward.child.kill("SIGTERM");
    expect(await steward.exited).toEqual({ code: 0, signal: null });
    expect(steward.logs.at(-1)).toMatchObject({ msg: "stopped" });
  }, 240_000);
});
