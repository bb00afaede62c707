import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VERSION } from "../../../src/package-info.js";
import { outsideReader, tempDir } from "../../helpers.js";
import { eventually, fastConfig, launch } from "../../steward-process.js";
import { deliver } from "../http/setup.js";

const SECRET = "helpdesk-secret-for-tests";

function environment() {
  const dir = tempDir();
  return {
    dir,
    env: {
      STEWARD_DB: join(dir, "steward.db"),
      STEWARD_CONFIG: fastConfig(dir),
      STEWARD_HTTP_PORT: "0",
      HELPDESK_WEBHOOK_SECRET: SECRET,
    },
  };
}

const REQUEST = JSON.stringify({
  text: "Objective: Answer the refund request for order 4411\nDone when: the customer has a reply",
});

describe("steward start without a terminal", () => {
  it("keeps serving signed webhooks with stdin closed, then stops on SIGTERM with exit 0", async () => {
    const { env } = environment();
    const steward = launch(["start"], env, { stdin: "ignore" });
    const started = await steward.logged("steward started");
    expect(started).toMatchObject({ level: "info", interface: "headless", version: VERSION });
    // Today's `start` read the closed stdin as the end of a console session and exited.
    await new Promise((wait) => setTimeout(wait, 1500));
    expect(steward.child.exitCode).toBeNull();

    const url = started.http as string;
    const filed = await deliver(url, "helpdesk", REQUEST, { secret: SECRET });
    expect(filed).toMatchObject({ status: 202, json: { task: "T-1", state: "queued" } });
    const reader = outsideReader(env.STEWARD_DB);
    await eventually(() => (reader.state(1) === "done" ? true : undefined), "T-1 done");

    steward.child.kill("SIGTERM");
    expect(await steward.exited).toEqual({ code: 0, signal: null });
    expect(steward.logs.map((entry) => entry.msg)).toEqual(
      expect.arrayContaining(["SIGTERM: shutting down", "stopped"]),
    );
    // The secret never reaches the log, whatever logged it.
    expect(steward.stderr()).not.toContain(SECRET);
  });
});

describe("steward serve", () => {
  it("answers /livez and /readyz, and exits 0 after SIGINT", async () => {
    const { env } = environment();
    const steward = launch(["serve"], env);
    const { http } = await steward.logged("steward started");
    const livez = await fetch(`${http}/livez`);
    expect(livez.status).toBe(200);
    const readyz = await fetch(`${http}/readyz`);
    expect(readyz.status).toBe(200);
    expect(await readyz.json()).toMatchObject({ status: "ok", db: "ok", chat: "headless" });

    steward.child.kill("SIGINT");
    expect(await steward.exited).toEqual({ code: 0, signal: null });
    expect(steward.logs.at(-1)).toMatchObject({ level: "info", msg: "stopped" });
  });
});
