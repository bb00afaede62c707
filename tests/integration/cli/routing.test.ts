import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import { openDatabase } from "../../../src/db/connection.js";
import { RoutingExampleStore } from "../../../src/db/routing-example-store.js";
import { Engine } from "../../../src/engine/engine.js";
import { tempDir } from "../../helpers.js";
import { steward } from "./steward-cli.js";

describe("steward routing", () => {
  it("lists what reroutes taught, exports it for the config or the corpus, and forgets", async () => {
    const db = join(tempDir(), "steward.db");
    const database = openDatabase(db);
    const config = loadConfigFile("config/steward.yaml", {});
    const engine = new Engine({ config, configDir: "config", database });
    const text = "the Kiln Club Pipsqueak thing needs sorting";
    const { task } = await engine.submit({ source: "console", requester: "owner", text });
    await engine.reroute(task.id, "admin", "alice");
    // A task done where the router put it, as the engine records one (its text is the task's).
    const confirmed = "Customer wants a refund for a damaged order";
    const placed = await engine.submit({ source: "console", requester: "owner", text: confirmed });
    new RoutingExampleStore(database.db).add({
      text: confirmed,
      category: "support",
      from: null,
      origin: "confirmation",
      taskId: placed.task.id,
      actor: "steward",
      at: Date.now(),
    });
    database.close();

    const listed = steward(["routing", "examples"], db);
    expect(listed).toMatch(
      /^#1 {2}T-1, rerouted to admin by alice on \d{4}-\d\d-\d\d \(was unsorted\)/,
    );
    expect(listed).toContain(`"${text}`);
    expect(listed).not.toContain(confirmed);
    expect(listed.trimEnd().split("\n").at(-1)).toBe(
      "and 1 confirmation (tasks done where the router put them; --confirmations lists them)",
    );
    expect(steward(["routing", "examples", "--confirmations"], db)).toContain(
      `#2  T-2, done in support by steward on`,
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
  });
});
