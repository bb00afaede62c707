import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import { ManualClock } from "../../../src/core/clock.js";
import { sqliteStore } from "../../../src/db/sqlite-store.js";
import { Engine } from "../../../src/engine/engine.js";
import { testDatabase } from "../../helpers.js";

describe("the status of a Steward that does not run the workers", () => {
  it("shows a paused worker from its open incident, as `steward status` reads it", async () => {
    const database = testDatabase();
    const clock = new ManualClock(Date.UTC(2026, 11, 6, 9));
    // Opened by the process that runs the workers; this one only reads the database.
    sqliteStore(database, clock).queue.openIncident("demo-writer", "connection refused", 60_000);
    const engine = new Engine({
      config: loadConfigFile("config/steward.yaml", {}),
      configDir: "config",
      database,
      clock,
    });

    expect(await engine.pausedWorkers()).toEqual(["demo-writer"]);
    const { pausedWorkers } = await engine.status.snapshot();
    expect(pausedWorkers).toEqual([
      { worker: "demo-writer", error: "connection refused", since: clock.now() },
    ]);
  });
});
