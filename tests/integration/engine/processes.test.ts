import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import { ROLES } from "../../../src/core/roles.js";
import { Engine } from "../../../src/engine/engine.js";
import { testDatabase } from "../../helpers.js";

const config = () => loadConfigFile("config/steward.yaml", {});

describe("the processes on the database", () => {
  it("a started engine registers itself with every role, and is gone once stopped", async () => {
    const database = testDatabase();
    const engine = new Engine({ config: config(), configDir: "config", database });
    expect(await engine.status.processes()).toEqual({ live: [], stale: [] });

    await engine.start();
    const { live } = await engine.status.processes();
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ host: hostname(), pid: process.pid, roles: [...ROLES] });
    expect(live[0]!.categories).toContain("support");
    expect(live[0]!.categories).not.toContain("unsorted");

    await engine.stop();
    expect(await engine.status.processes()).toEqual({ live: [], stale: [] });
  });

  it("on SQLite a new start marks whoever registered before as gone: one process owns the file", async () => {
    const database = testDatabase();
    const crashed = new Engine({ config: config(), configDir: "config", database });
    await crashed.start();
    // Never stopped: its registration stays, as a killed process's would.
    const restarted = new Engine({ config: config(), configDir: "config", database });
    await restarted.start();
    try {
      const { live, stale } = await restarted.status.processes();
      expect(live).toHaveLength(1);
      expect(stale).toEqual([]);
    } finally {
      await restarted.stop();
      await crashed.stop();
    }
  });
});
