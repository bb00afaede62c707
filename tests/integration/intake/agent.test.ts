/**
 * The LLM intake agent against a scripted OpenAI-compatible model on 127.0.0.1 and a real
 * SQLite file: what it fills and routes, what it may not override, what it leaves to the
 * requester, and every way it fails back to the rules.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { consoleView } from "../../../src/adapters/console/format.js";
import { statusDetail } from "../../../src/adapters/console/status-view.js";
import { taskCard } from "../../../src/adapters/console/task-card.js";
import { loadConfigFile } from "../../../src/config/load.js";
import { Engine } from "../../../src/engine/engine.js";
import { testDatabase } from "../../helpers.js";
import { fastConfig } from "../../steward-process.js";
import { pipeIntoConsole } from "../console/helpers.js";
import { questionsTo, scriptedModel, silentModel, unreachableModel } from "../model-server.js";

function stewardWithAgent(
  baseUrl: string,
  options: { timeout?: number; classifier?: boolean } = {},
) {
  const config = loadConfigFile("config/steward.yaml", {});
  config.workers.reader = {
    kind: "llm",
    base_url: baseUrl,
    model: "reader-small",
    prompt: "",
    timeout: options.timeout ?? 5000,
  };
  config.intake.agent = { worker: "reader" };
  if (options.classifier) {
    config.intake.classifier = { kind: "llm", worker: "reader", min_confidence: 0.4 };
  }
  const warnings: string[] = [];
  const logger = { info() {}, error() {}, warn: (message: string) => warnings.push(message) };
  const engine = new Engine({ config, configDir: "config", database: testDatabase(), logger });
  return { engine, warnings };
}

/** Vague: the rules cannot place it and would send it to the catch-all. */
const vague = "ok so the thing from last week with Meridian, can you deal with it by Friday";
const request = { source: "webhook:forms", requester: "owner", text: vague };

const reading = {
  objective: "Resolve Meridian's issue from last week",
  inputs: [],
  constraints: ["done by Friday"],
  output_format: "a reply to Meridian",
  acceptance_criteria: ["Meridian's issue is resolved", "Meridian is told what was done"],
  inferred: ["output_format", "acceptance_criteria"],
  unknown: [],
  category: "support",
  reason: "a customer is waiting on a fix",
};
const answer = (changes: Record<string, unknown> = {}) =>
  JSON.stringify({ ...reading, ...changes });

describe("the llm intake agent", () => {
  it("fills the empty fields and routes; the card says which were inferred", async () => {
    const { server, url } = await scriptedModel(answer());
    const { engine } = stewardWithAgent(url);
    const result = await engine.submit(request);
    const { task, filled } = result;

    expect(task.state).toBe("queued");
    expect(task.category).toBe("support");
    expect(task.routing).toMatchObject({
      classifier: "llm",
      rule: "intake agent",
      runner_up: { category: "unsorted" },
      explanation: "the intake agent chose support: a customer is waiting on a fix",
    });
    // The requester's own words stay the objective; the agent fills what they left out.
    expect(task.objective).toBe(vague);
    expect(task.constraints).toEqual(["done by Friday"]);
    expect(task.outputFormat).toBe("a reply to Meridian");
    expect(task.acceptanceCriteria).toEqual(reading.acceptance_criteria);
    expect(filled).toEqual({
      constraints: "the intake agent",
      output_format: "the intake agent (inferred)",
      acceptance_criteria: "the intake agent (inferred)",
    });
    expect(taskCard(result, consoleView(engine.config))).toContain(
      "constraints (from the intake agent); output format, acceptance criteria (from the intake agent (inferred))",
    );
    const [system, user] = questionsTo(server)[0]!;
    expect(user!.content).toBe(vague);
    expect(system!.content).toContain("- finance: ");
    expect(JSON.parse(server.requests[0]!.body)).toMatchObject({
      model: "reader-small",
      temperature: 0,
      response_format: { type: "json_object" },
    });
  });

  it("the dry run shows what filing would do with the agent, and --rules-only skips it", async () => {
    const { server, url } = await scriptedModel(answer());
    const { engine } = stewardWithAgent(url);

    const plan = await engine.plan(request);
    expect(plan.routing.rule).toBe("intake agent");
    expect(plan.filled.output_format).toBe("the intake agent (inferred)");
    const rules = await engine.plan(request, { rulesOnly: true });
    expect(rules.routing.category).toBe("unsorted");
    expect(server.requests).toHaveLength(1);
    expect(await engine.findTask(1)).toBeUndefined();
  });

  it("sends the latest decisions people made as examples, most recent first", async () => {
    const { server, url } = await scriptedModel(answer());
    const { engine } = stewardWithAgent(url);
    await engine.submit(
      {
        source: "console",
        requester: "owner",
        text: "Pay the Hetzner bill\nDone when: paid",
        category: "finance",
      },
      { rulesOnly: true },
    );
    await engine.submit(
      {
        source: "console",
        requester: "owner",
        text: "Renew the domain\nDone when: renewed",
        category: "admin",
      },
      { rulesOnly: true },
    );

    await engine.submit(request);

    const system = questionsTo(server)[0]![0]!.content;
    const renew = system.indexOf("Renew the domain");
    const hetzner = system.indexOf("Pay the Hetzner bill");
    expect(renew).toBeGreaterThan(0);
    expect(hetzner).toBeGreaterThan(renew);
    expect(system).toMatch(/Renew the domain.*→ admin/);
  });

  it("what the requester labelled wins, and an explicit rule keeps its category", async () => {
    const { url } = await scriptedModel(
      answer({ acceptance_criteria: ["one number"], category: "finance", reason: "money" }),
    );
    const { engine } = stewardWithAgent(url);
    const { task, filled } = await engine.submit({
      ...request,
      text: "What is the market size for dental software in Leeds\nDone when: a figure with its sources",
    });

    expect(task.acceptanceCriteria).toEqual(["a figure with its sources"]);
    expect(filled.acceptance_criteria).toBeUndefined();
    expect(task.category).toBe("research");
    expect(task.routing.rule).toBe("research.keywords");
  });

  it("a field it cannot determine is asked for, whatever the category's defaults", async () => {
    const { url } = await scriptedModel(
      answer({ acceptance_criteria: [], unknown: ["acceptance_criteria"] }),
    );
    const { engine } = stewardWithAgent(url);
    const { task, missing, filled } = await engine.submit(request);

    expect(task.category).toBe("support");
    expect(task.state).toBe("needs_clarification");
    expect(missing).toEqual(["acceptance_criteria"]);
    expect(filled.acceptance_criteria).toBeUndefined();
    expect((await engine.events(task.id))[0]!.reason).toBe("missing acceptance criteria");
  });

  const fallbacks: [string, () => Promise<string>, number | undefined, RegExp][] = [
    [
      "slow past its timeout",
      async () => (await scriptedModel(answer(), { delayMs: 2000 })).url,
      300,
      /^intake agent failed \(no answer in time\); used the rules$/,
    ],
    [
      "unreachable",
      unreachableModel,
      undefined,
      /^intake agent failed \(.*connect.*\); used the rules$/i,
    ],
    [
      "not JSON",
      async () => (await scriptedModel("Sure! It is a support request.")).url,
      undefined,
      /^intake agent failed \(the answer was not JSON: Sure!/,
    ],
    [
      "off-schema",
      async () => (await scriptedModel(answer({ inputs: "the Meridian thread" }))).url,
      undefined,
      /^intake agent failed \(the answer did not match the schema \(inputs: /,
    ],
    [
      "naming a category that does not exist",
      async () => (await scriptedModel(answer({ category: "marketing" }))).url,
      undefined,
      /^intake agent failed \(it named a category that does not exist: marketing\)/,
    ],
  ];

  it.each(fallbacks)(
    "an answer %s falls back to the rules, saying why",
    async (_, url, timeout, why) => {
      const { engine, warnings } = stewardWithAgent(await url(), { timeout });
      const rules = await engine.plan(request, { rulesOnly: true });
      const { task, filled } = await engine.submit(request);

      expect(task.routing.classifier).toBe("rules");
      expect(task.routing.fallback).toMatch(why);
      expect(task.category).toBe(rules.routing.category);
      expect(task.acceptanceCriteria).toEqual(rules.brief.acceptance_criteria);
      expect(filled).toEqual(rules.filled);
      expect(warnings).toEqual([task.routing.fallback]);
    },
  );

  it("a request waiting on the agent when Steward stops is read by the rules and filed", async () => {
    const { asked, url } = await silentModel();
    const { engine } = stewardWithAgent(url, { timeout: 60_000 });
    const submitted = engine.submit(request);
    await asked;

    await engine.stop();
    const { task } = await submitted;

    expect(task.routing.fallback).toBe("intake agent failed (Steward is stopping); used the rules");
    // The rules cannot place the vague request: filed, and escalated rather than guessed.
    expect(await engine.task(task.id)).toMatchObject({
      state: "escalated",
      category: "unsorted",
    });
  });

  it("fields alone and a replayed delivery never ask the model", async () => {
    const { server, url } = await scriptedModel(answer());
    const { engine } = stewardWithAgent(url);
    await engine.submit({
      ...request,
      text: undefined,
      fields: { objective: "Reply to Meridian", acceptance_criteria: ["sent"] },
    });
    const first = await engine.submit({ ...request, dedupeKey: "d-1" });
    const again = await engine.submit({ ...request, dedupeKey: "d-1" });

    expect(again.duplicate).toBe(true);
    expect(again.task.id).toBe(first.task.id);
    expect(server.requests).toHaveLength(1);
  });

  it("records the tokens of its question with the task, and status shows them", async () => {
    const { url } = await scriptedModel(answer(), {
      usage: { prompt_tokens: 1234, completion_tokens: 56 },
    });
    const { engine } = stewardWithAgent(url);
    const { task } = await engine.submit(request);

    expect((await engine.events(task.id))[0]!.data).toMatchObject({
      agent: "answered",
      tokens: { agent: { prompt: 1234, completion: 56 } },
    });
    const status = statusDetail(await engine.detail(task.id));
    expect(status).toContain("Tokens:     intake agent 1,234 prompt + 56 completion");
    expect(status).toMatch(/Filled in: +constraints \(from the intake agent\); output format/);
  });

  it("naming no category, it leaves routing to the llm classifier; both questions' tokens are kept", async () => {
    const { server, url } = await scriptedModel(
      (system) =>
        system.startsWith("You route")
          ? '{"category": "admin", "reason": "an errand"}'
          : answer({ category: null, reason: null }),
      { usage: { prompt_tokens: 700, completion_tokens: 20 } },
    );
    const { engine } = stewardWithAgent(url, { classifier: true });
    const { task, filled } = await engine.submit(request);

    expect(server.requests).toHaveLength(2);
    expect(task.routing).toMatchObject({ classifier: "llm", rule: "llm" });
    expect(task.category).toBe("admin");
    expect(filled.output_format).toBe("the intake agent (inferred)");
    expect(statusDetail(await engine.detail(task.id))).toContain(
      "intake agent 700 prompt + 20 completion · llm classifier 700 prompt + 20 completion",
    );
  });
});

describe("the llm intake agent at the console", () => {
  it("a free-text line is read by the agent; its card and status say what was filled and the tokens", async () => {
    const { url } = await scriptedModel(answer(), {
      usage: { prompt_tokens: 900, completion_tokens: 80 },
    });
    const transcript = await pipeIntoConsole([vague, "/status T-1"], (dir) => {
      const file = fastConfig(dir);
      const yaml = readFileSync(file, "utf8")
        .replace(/^intake:\n/m, "intake:\n  agent: { worker: reader }\n")
        .replace(
          /^workers:\n/m,
          `workers:\n  reader: { kind: llm, base_url: "${url}", model: reader-small, timeout: 5s }\n`,
        );
      writeFileSync(join(dir, "steward.yaml"), yaml);
      return file;
    });

    expect(transcript.stdout).toContain("T-1 · support");
    expect(transcript.stdout).toContain("(from the intake agent (inferred))");
    expect(transcript.stdout).toContain("intake agent 900 prompt + 80 completion");
  });
});
