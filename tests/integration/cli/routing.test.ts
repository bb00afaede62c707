import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import { systemClock } from "../../../src/core/clock.js";
import { openDatabase } from "../../../src/db/connection.js";
import { sqliteStore } from "../../../src/db/sqlite-store.js";
import { Engine } from "../../../src/engine/engine.js";
import { tempDir } from "../../helpers.js";
import { steward, stewardFails } from "./steward-cli.js";

describe("steward routing", () => {
  it("lists what reroutes taught, exports it for the config or the corpus, and forgets", async () => {
    const db = join(tempDir(), "steward.db");
    const database = openDatabase(db);
    const config = loadConfigFile("config/steward.yaml", {});
    const engine = new Engine({ config, configDir: "config", database });
    const text = "the Kiln Club Pipsqueak thing needs sorting";
    const { task } = await engine.submit({ source: "console", requester: "owner", text });
    await engine.reroute(task.id, "admin", "alice");
    // A task done where the router put it: a confirmation.
    const confirmed = "Customer wants a refund for a damaged order";
    const placed = await engine.submit({ source: "console", requester: "owner", text: confirmed });
    await engine.stop();
    const run = { actor: "worker", reason: "ran" };
    sqliteStore(database, systemClock).tasks.advance(placed.task.id, [
      { to: "running", ...run },
      { to: "reviewing", ...run },
      { to: "done", ...run },
    ]);
    database.close();

    const listed = steward(["routing", "examples"], db);
    expect(listed).toMatch(
      /^#1 {2}T-1, rerouted to admin by alice on \d{4}-\d\d-\d\d \(was unsorted\)/,
    );
    expect(listed).toContain(`"${text}`);
    expect(listed).not.toContain(confirmed);
    expect(listed.trimEnd().split("\n").at(-1)).toBe(
      "and 1 confirmation (tasks done where the router put them; --confirmations lists them, `routing forget T-42` forgets one)",
    );
    expect(steward(["routing", "examples", "--confirmations"], db)).toMatch(
      /\nT-2, done in support by steward on \d{4}-\d\d-\d\d\n {5}"Customer wants a refund/,
    );
    expect(steward(["routing", "examples", "--export"], db)).toContain(
      `admin:\n  examples:\n    - ${text}`,
    );
    expect(steward(["routing", "examples", "--corpus"], db)).toBe(
      `${JSON.stringify({ text, category: "admin" })}\n`,
    );
    expect(steward(["routing", "examples", "--category", "finance"], db)).toContain(
      "no decision learned yet",
    );

    expect(steward(["routing", "forget", "#1"], db)).toContain("OK forgot example #1");
    expect(steward(["routing", "examples", "--corpus"], db)).toBe("");
    expect(steward(["routing", "forget", "T-2"], db)).toContain("OK forgot T-2's confirmation");
    expect(steward(["routing", "examples", "--json"], db)).toBe("[]\n");
    expect(stewardFails(["routing", "forget", "T-2"], db)).toContain(
      "the router learns no confirmation from T-2",
    );
  });
});
