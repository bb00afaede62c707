import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import { Engine } from "../../../src/engine/engine.js";
import { testDatabase } from "../../helpers.js";
import { scriptedModel, silentModel, unreachableModel } from "../model-server.js";

function stewardWithClassifier(baseUrl: string, timeout = 5000) {
  const config = loadConfigFile("config/steward.yaml", {});
  config.workers.classifier = {
    kind: "llm",
    base_url: baseUrl,
    model: "router-small",
    prompt: "",
    timeout,
  };
  config.intake.classifier = { kind: "llm", worker: "classifier", min_confidence: 0.2 };
  return new Engine({ config, configDir: "config", database: testDatabase() });
}

const request = {
  source: "console",
  requester: "owner",
  text: "Objective: Look into which CRM the agency should use\nDone when: a recommendation",
};

describe("the llm classifier", () => {
  it("its answer, a category name with a reason, becomes the routing trace", async () => {
    const { server, url } = await scriptedModel(
      '{"category": "research", "reason": "comparing tools is research"}',
    );
    const { task } = await stewardWithClassifier(url).submit(request);

    expect(task.category).toBe("research");
    expect(task.routing).toMatchObject({
      classifier: "llm",
      explanation: "the llm classifier chose research: comparing tools is research",
    });
    const sent = JSON.parse(server.requests[0]!.body);
    expect(sent.model).toBe("router-small");
    expect(sent.messages[0].content).toContain("- finance:");
  });

  it("an answer that is not a category name falls back to the rules, and the trace says so", async () => {
    const { url } = await scriptedModel(
      '{"category": "marketing", "reason": "sounds like marketing"}',
    );
    const { task } = await stewardWithClassifier(url).submit(request);

    expect(task.routing.classifier).toBe("rules");
    expect(task.routing.fallback).toMatch(/^llm answer was not a category name/);
  });

  it("an unreachable endpoint falls back to the rules", async () => {
    const { task } = await stewardWithClassifier(await unreachableModel()).submit(request);

    expect(task.routing.classifier).toBe("rules");
    expect(task.routing.fallback).toMatch(/^llm classifier failed \(.*connect/i);
  });

  it("a request waiting on the model when Steward stops is routed by the rules and filed", async () => {
    const { asked, url } = await silentModel();
    const engine = stewardWithClassifier(url, 60_000);
    const submitted = engine.submit(request);
    await asked;

    await engine.stop();
    const { task } = await submitted;

    expect(task.routing).toMatchObject({
      classifier: "rules",
      fallback: "llm classifier failed (Steward is stopping); used the rules",
    });
    expect((await engine.task(task.id)).state).toBe("queued");
  });

  it("a category named by the requester never asks the model", async () => {
    const { server, url } = await scriptedModel('{"category": "finance", "reason": "x"}');
    const { task } = await stewardWithClassifier(url).submit({
      ...request,
      category: "admin",
    });
    expect(task.category).toBe("admin");
    expect(server.requests).toEqual([]);
  });
});
