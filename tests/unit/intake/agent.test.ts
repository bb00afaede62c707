import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import { emptyBrief } from "../../../src/core/brief.js";
import type { JsonModel } from "../../../src/core/model.js";
import type { RoutingTrace } from "../../../src/core/task.js";
import {
  type AgentReading,
  askIntakeAgent,
  fillFromAgent,
  routedByAgent,
} from "../../../src/intake/agent.js";

const { categories } = loadConfigFile("config/steward.yaml", {});

/** A model port that answers `content`: the endpoint itself is tested in integration. */
const answering = (content: string): JsonModel => ({
  ask: async () => ({ content, usage: { prompt: 10, completion: 2 } }),
});

const ask = (content: string) =>
  askIntakeAgent(answering(content), { text: "x", categories, examples: [] }, { timeoutMs: 1000 });

const fields = {
  objective: "Reply to Ana",
  inputs: [" the thread ", ""],
  constraints: [],
  output_format: "",
  acceptance_criteria: ["she has her refund"],
};

const read = (changes: Partial<Extract<AgentReading, { answered: true }>> = {}): AgentReading => ({
  answered: true,
  brief: { ...emptyBrief(), output_format: "an email", acceptance_criteria: ["refunded"] },
  inferred: ["output_format"],
  unknown: [],
  ...changes,
});

function rules(rule: string, category = "finance"): RoutingTrace {
  return { category, classifier: "rules", rule, score: 0.6, matched: [], explanation: "rules" };
}

describe("reading the agent's answer", () => {
  it.each([
    ["an empty category", { category: "", reason: "" }, undefined],
    ["a null category", { category: null, reason: null }, undefined],
    ["a category with its reason", { category: "support", reason: "a customer" }, "support"],
  ])("%s", async (_, extra, category) => {
    const reading = await ask(JSON.stringify({ ...fields, ...extra }));
    expect(reading).toMatchObject({ answered: true, usage: { prompt: 10, completion: 2 } });
    if (!reading.answered) return;
    expect(reading.category?.name).toBe(category);
    expect(reading.brief.inputs).toEqual(["the thread"]);
  });

  it.each([
    ["prose around no JSON", "I think support", /^the answer was not JSON/],
    [
      "a category with no reason",
      JSON.stringify({ ...fields, category: "support" }),
      /reason: a category needs a reason/,
    ],
    [
      "a missing field",
      JSON.stringify({ objective: "x" }),
      /^the answer did not match the schema \(inputs: /,
    ],
    [
      "a field name that does not exist",
      JSON.stringify({ ...fields, unknown: ["deadline"] }),
      /unknown\.0: /,
    ],
  ])("%s is a failure that says why", async (_, content, why) => {
    const reading = await ask(content);
    expect(reading.answered).toBe(false);
    if (!reading.answered) expect(reading.failure).toMatch(why);
  });
});

describe("merging the agent's reading", () => {
  it("fills only empty fields, naming read and inferred sources, and keeps unknown ones empty", () => {
    const parsed = {
      ...emptyBrief(),
      objective: "refund Ana",
      acceptance_criteria: ["done today"],
    };
    const { brief, filled, unknown } = fillFromAgent(
      parsed,
      read({
        brief: { ...emptyBrief(), objective: "x", inputs: ["order 12"], output_format: "an email" },
        unknown: ["constraints", "acceptance_criteria"],
      }),
    );
    expect(brief).toEqual({ ...parsed, inputs: ["order 12"], output_format: "an email" });
    expect(filled).toEqual({
      inputs: "the intake agent",
      output_format: "the intake agent (inferred)",
    });
    // What the requester gave is never "unknown".
    expect(unknown).toEqual(["constraints"]);
  });

  it.each([
    ["explicit", "finance"],
    ["finance.sources", "finance"],
    ["finance.regexes[0]", "finance"],
    ["finance.keywords", "finance"],
    ["classifier", "support"],
    ["learned", "support"],
    ["catch_all", "support"],
  ])("after rule %s the category is %s", (rule, expected) => {
    const reading = read({ category: { name: "support", reason: "a customer" } });
    expect(routedByAgent(rules(rule), reading).category).toBe(expected);
  });

  it("a failed reading keeps the rules' routing and says why", () => {
    const routing = routedByAgent(rules("classifier"), { answered: false, failure: "timeout" });
    expect(routing).toMatchObject({
      category: "finance",
      fallback: "intake agent failed (timeout); used the rules",
    });
  });
});
