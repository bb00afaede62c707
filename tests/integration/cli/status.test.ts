import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/core/clock.js";
import { openDatabase } from "../../../src/db/connection.js";
import { Engine } from "../../../src/engine/engine.js";
import { askingConfig, tempDir } from "../../helpers.js";
import { steward } from "./steward-cli.js";

describe("steward status", () => {
  it("prints counts as text and as JSON, and one task's timeline", async () => {
    const db = join(tempDir(), "steward.db");
    const database = openDatabase(db);
    // Engineering asks for its criteria, so one of the two tasks waits for clarification.
    const engine = new Engine({
      config: askingConfig("engineering"),
      configDir: "config",
      database,
    });
    await engine.submit({
      source: "console",
      requester: "owner",
      text: "Objective: Draft a blog post\nDone when: under 500 words",
    });
    await engine.submit({
      source: "console",
      requester: "owner",
      text: "Fix the failing CI build",
    });
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

  it("lists what waits on a person, oldest first, with how long each has waited", async () => {
    const db = join(tempDir(), "steward.db");
    const database = openDatabase(db);
    const clock = new ManualClock(Date.now() - 3_600_000);
    const engine = new Engine({
      // Engineering and content ask for their criteria, so their tasks wait on a person.
      config: askingConfig("engineering", "content"),
      configDir: "config",
      database,
      clock,
    });
    await engine.submit({
      source: "console",
      requester: "owner",
      text: "Fix the failing CI build",
    });
    clock.advance(60_000);
    await engine.submit({ source: "console", requester: "owner", text: "banana purple elephant" });
    clock.advance(60_000);
    await engine.submit({ source: "console", requester: "owner", text: "Draft a blog post" });
    database.close();

    const text = steward(["status"], db);
    expect(text).toMatch(
      /Waiting for details \(2, oldest first\)\n {4}T-1 · waiting [^·]+ · needs acceptance criteria · Fix the failing CI build\n {4}T-3 · /,
    );
    expect(text).toMatch(
      /Escalations \(1, oldest first\)\n {4}E-1 · waiting [^·]+ · 1 task in unsorted: does not fit any category · T-2/,
    );
  });
});
