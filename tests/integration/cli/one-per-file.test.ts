import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../helpers.js";
import { fastConfig, launch } from "../../steward-process.js";

/**
 * One Steward serves a SQLite file: a second, started by mistake (`npm start` in another
 * terminal, the console beside the service), would void the first's leases at its start and
 * run, deliver and post its tasks again. It is refused before it opens anything; a restart after
 * a crash is not, nor are the commands that only read.
 */
describe("a second Steward on the same SQLite file", () => {
  it("is refused while the first runs, and a restart after a kill -9 is not", async () => {
    const dir = tempDir();
    const db = join(dir, "steward.db");
    const env = { STEWARD_DB: db, STEWARD_CONFIG: fastConfig(dir), STEWARD_HTTP_PORT: "0" };
    const first = launch(["serve"], env);
    const url = (await first.logged("steward started")).http as string;

    const second = launch(["serve"], env);
    const refused = await second.exited;
    expect(refused.code).not.toBe(0);
    expect(second.stderr()).toContain(`another Steward is running on ${db}`);
    expect(second.logs.some((entry) => entry.msg === "steward started")).toBe(false);
    // The first is untouched, and what only reads runs beside it.
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const status = launch(["status"], env);
    expect((await status.exited).code).toBe(0);

    first.child.kill("SIGKILL");
    await first.exited;
    const restarted = launch(["serve"], env);
    await restarted.logged("steward started");
    restarted.child.kill("SIGTERM");
    expect((await restarted.exited).code).toBe(0);
  }, 60_000);
});
