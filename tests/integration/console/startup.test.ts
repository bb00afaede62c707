/** What the console says as it starts, with work left waiting on a person from an earlier run. */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { runConsole } from "../../../src/adapters/console/console.js";
import { Engine } from "../../../src/engine/engine.js";
import { askingConfig, testDatabase } from "../../helpers.js";

describe("console start-up", () => {
  it("says how many things wait on a person and where to see them", async () => {
    const database = testDatabase();
    const engine = new Engine({
      // Engineering and content ask for their criteria, so their tasks wait on a person.
      config: askingConfig("engineering", "content"),
      configDir: "config",
      database,
    });
    await engine.submit({
      source: "console",
      requester: "owner",
      text: "Fix the failing CI build",
    });
    await engine.submit({ source: "console", requester: "owner", text: "Draft a blog post" });
    await engine.submit({ source: "console", requester: "owner", text: "banana purple elephant" });
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = "";
    output.on("data", (chunk: Buffer) => {
      printed += chunk.toString();
    });
    input.end();
    await runConsole(engine, { input, output, user: "owner" });
    expect(printed.split("\n")[0]).toBe(
      "Waiting on you: 2 tasks need details, 1 escalation waits for a decision (status lists them, oldest first).",
    );
  });
});
