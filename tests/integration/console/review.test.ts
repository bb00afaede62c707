import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Command, parseCommand } from "../../../src/adapters/console/commands.js";
import { consoleDelivery } from "../../../src/adapters/console/deliver.js";
import { consoleView } from "../../../src/adapters/console/format.js";
import { loadConfigFile } from "../../../src/config/load.js";
import { ManualClock } from "../../../src/core/clock.js";
import { OutboxStore } from "../../../src/db/outbox-store.js";
import { Engine } from "../../../src/engine/engine.js";
import { testDatabase } from "../../helpers.js";

const config = loadConfigFile("config/steward.yaml", {});

describe("the review in the console", () => {
  it("a scheduled review reaches the console as its text and a chart file", async () => {
    const database = testDatabase();
    const clock = new ManualClock(Date.UTC(2026, 10, 12, 10));
    const engine = new Engine({ config, configDir: "config", database, clock });
    await engine.submit({
      source: "console",
      requester: "owner",
      text: "Draft a blog post\nDone when: short",
    });
    clock.set(Date.UTC(2026, 11, 1, 9));
    // As the review schedule queues it, in the engine's database.
    new OutboxStore(database.db, clock).add(
      { kind: "review_report", month: "2026-11" },
      "review:2026-11",
    );

    const printed: string[] = [];
    const pump = consoleDelivery(engine, consoleView(config), (text) => printed.push(text));
    await pump.drain();

    const text = printed.join("\n");
    expect(text).toContain("Steward review: 2026-11 (UTC)");
    expect(text).toContain("1 task created");
    const chart = join(dirname(database.file), "reviews", "steward-review-2026-11.png");
    expect(text).toContain(`chart: ${chart}`);
    expect(existsSync(chart)).toBe(true);
    expect(await engine.outbox.pending(10)).toEqual([]);
  }, 60_000);

  it.each<[string, Command]>([
    ["review", { kind: "review" }],
    ["review --month 2026-03", { kind: "review", month: "2026-03" }],
    ["/review --month 2026-03", { kind: "review", month: "2026-03" }],
    ["/review 2026-03", { kind: "review", month: "2026-03" }],
  ])("`%s` is the review command", (line, command) => {
    expect(parseCommand(line)).toEqual(command);
  });
});
