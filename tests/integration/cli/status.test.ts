import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import { openDatabase } from "../../../src/db/connection.js";
import { Engine } from "../../../src/engine/engine.js";
import { tempDir } from "../../helpers.js";

function steward(args: string[], db: string): string {
  return execFileSync(process.execPath, ["bin/steward.js", ...args], {
    env: { ...process.env, STEWARD_DB: db, STEWARD_CONFIG: "config/steward.yaml" },
    encoding: "utf8",
  });
}

describe("steward status", () => {
  it("prints counts as text and as JSON, and one task's timeline", () => {
    const db = join(tempDir(), "steward.db");
    const database = openDatabase(db);
    const config = loadConfigFile("config/steward.yaml", {});
    // Engineering asks for its criteria, so one of the two tasks waits for clarification.
    config.categories.find((c) => c.name === "engineering")!.defaults.acceptance_criteria =
      undefined;
    const engine = new Engine({ config, configDir: "config", database });
    engine.submit({
      source: "console",
      requester: "owner",
      text: "Objective: Draft a blog post\nDone when: under 500 words",
    });
    engine.submit({ source: "console", requester: "owner", text: "Fix the failing CI build" });
    database.close();

    expect(steward(["status"], db)).toContain("By state:     needs clarification 1 · queued 1");
    const json = JSON.parse(steward(["status", "--json"], db)) as {
      counts: { state: string; count: number }[];
    };
    expect(json.counts.map((row) => [row.state, row.count]).sort()).toEqual([
      ["needs_clarification", 1],
      ["queued", 1],
    ]);
    expect(steward(["status", "T-1"], db)).toContain("Rule:       content.keywords");
  });
});
