/**
 * A person's decisions on a task (a reroute) survive the steps after it, and an escalation
 * an answer leads to stays open for someone to decide: real SQLite, the default config.
 */
import { describe, expect, it } from "vitest";
import { Engine } from "../../../src/engine/engine.js";
import { askingConfig, testDatabase } from "../../helpers.js";

/** Content and research ask for their criteria here: these stories are about the answer. */
function engine(): Engine {
  const config = askingConfig("content", "research");
  return new Engine({ config, configDir: "config", database: testDatabase() });
}

const owner = "owner";

describe("a person's category decision", () => {
  it("survives the answer to a clarification: the task stays where it was rerouted", async () => {
    const steward = engine();
    const { task } = await steward.submit({
      source: "console",
      requester: owner,
      text: "Compare the three cheapest transactional email providers",
    });
    expect(task.category).toBe("research");
    await steward.reroute(task.id, "content", owner);
    const { task: answered } = await steward.answer(task.id, { text: "a table of prices" }, owner);
    expect(answered.state).toBe("queued");
    expect(answered.category).toBe("content");
    expect(answered.routing.rule).toBe("reroute");
  });

  it("a catch-all task rerouted then answered is queued in the chosen category", async () => {
    const steward = engine();
    const { task } = await steward.submit({
      source: "console",
      requester: owner,
      text: "banana purple elephant",
    });
    expect(task.state).toBe("escalated");
    const rerouted = await steward.reroute(task.id, "content", owner);
    expect(rerouted.state).toBe("needs_clarification");
    const { task: answered } = await steward.answer(task.id, { text: "x" }, owner);
    expect(answered.state).toBe("queued");
    expect(answered.category).toBe("content");
  });
});

describe("an answer that leads to an escalation", () => {
  it("leaves that escalation open: nothing has decided it yet", async () => {
    const steward = engine();
    // No objective: asked for first, then the answer fits no category.
    const { task } = await steward.submit({
      source: "console",
      requester: owner,
      fields: { acceptance_criteria: ["zxcv"] },
    });
    expect(task.state).toBe("needs_clarification");
    const { task: answered } = await steward.answer(task.id, { text: "asdf qwerty zxcv" }, owner);
    expect(answered.state).toBe("escalated");
    expect(await steward.openEscalationOf(task.id)).toBeDefined();
  });
});
