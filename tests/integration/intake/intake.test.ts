import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import type { Config } from "../../../src/config/schema.js";
import { MAX_FIELD_CHARS } from "../../../src/core/brief.js";
import { isStewardError } from "../../../src/core/errors.js";
import { tasks } from "../../../src/db/schema.js";
import { Engine } from "../../../src/engine/engine.js";
import { askingConfig, testDatabase } from "../../helpers.js";

function engine() {
  const database = testDatabase();
  const config = loadConfigFile("config/steward.yaml", {});
  return { engine: new Engine({ config, configDir: "config", database }), database };
}

/** The default config, with engineering asking for its criteria instead of filling them in. */
function askingEngine(required?: Config["intake"]["required"]) {
  const database = testDatabase();
  const config = askingConfig("engineering");
  if (required) config.intake.required = required;
  return { engine: new Engine({ config, configDir: "config", database }), database };
}

const complete =
  "Objective: Draft a blog post announcing the new pricing page\nDone when: under 600 words, links to /pricing";

describe("intake, against a real SQLite file", () => {
  it("a complete request is queued with its brief and the routing trace stored", async () => {
    const { engine: steward } = engine();
    const { task, missing, routing } = await steward.submit({
      source: "console",
      requester: "owner",
      text: complete,
    });

    expect(missing).toEqual([]);
    expect(task.state).toBe("queued");
    expect(task.category).toBe("content");
    expect(task.objective).toBe("Draft a blog post announcing the new pricing page");
    expect(task.acceptanceCriteria).toEqual(["under 600 words, links to /pricing"]);
    expect(task.outputFormat).toBe("a markdown draft");
    expect(task.routing).toEqual(routing);
    expect(routing.rule).toMatch(/^content\./);
    expect(await steward.events(task.id)).toEqual([
      expect.objectContaining({
        from: "intake",
        to: "queued",
        actor: "owner",
        reason: expect.stringContaining("routed to content"),
      }),
    ]);
  });

  it("a request missing acceptance criteria goes back to the requester and never reaches the queue", async () => {
    const { engine: steward } = askingEngine();
    const { task, missing } = await steward.submit({
      source: "console",
      requester: "owner",
      text: "Fix the failing CI build on the main branch",
    });

    expect(task.state).toBe("needs_clarification");
    expect(missing).toEqual(["acceptance_criteria"]);
    expect(task.missingFields).toEqual(["acceptance_criteria"]);
    expect((await steward.events(task.id)).map((e) => e.to)).toEqual(["needs_clarification"]);
    expect((await steward.outbox.pending(10)).map((m) => m.message)).toEqual([
      {
        kind: "clarification",
        taskId: task.id,
        missing: ["acceptance_criteria"],
        note: "missing acceptance criteria",
      },
    ]);
  });

  it("answering the missing field resumes the task through intake and queues it", async () => {
    const { engine: steward } = askingEngine();
    const { task } = await steward.submit({
      source: "console",
      requester: "owner",
      text: "Fix the failing CI build on the main branch",
    });

    const resumed = await steward.answer(task.id, { text: "the build is green on main" }, "owner");

    expect(resumed.task.state).toBe("queued");
    expect(resumed.task.acceptanceCriteria).toEqual(["the build is green on main"]);
    expect(resumed.task.category).toBe("engineering");
    expect((await steward.events(task.id)).map((e) => [e.from, e.to])).toEqual([
      ["intake", "needs_clarification"],
      ["needs_clarification", "queued"],
    ]);
  });

  it("an answer that still leaves a required field empty keeps asking for it", async () => {
    const { engine: steward } = askingEngine(["objective", "constraints", "acceptance_criteria"]);
    const { task } = await steward.submit({
      source: "console",
      requester: "owner",
      text: "Fix the failing CI build",
    });
    expect(task.missingFields).toEqual(["constraints", "acceptance_criteria"]);

    const resumed = await steward.answer(
      task.id,
      { fields: { constraints: "do not touch the deploy scripts" } },
      "owner",
    );

    expect(resumed.task.state).toBe("needs_clarification");
    expect(resumed.missing).toEqual(["acceptance_criteria"]);
  });

  it("a category's defaults fill what the requester left empty", async () => {
    const { engine: steward } = engine();
    const { task } = await steward.submit({
      source: "console",
      requester: "owner",
      text: "A customer asks for a refund because the order arrived damaged",
    });
    expect(task.category).toBe("support");
    expect(task.state).toBe("queued");
    expect(task.outputFormat).toBe("a reply ready to send to the customer");
    expect(task.acceptanceCriteria).toEqual([
      "answers what the customer asked",
      "polite and under 200 words",
      "promises nothing we cannot do",
    ]);
  });

  it("a request that fits no category is escalated, not guessed", async () => {
    const { engine: steward } = engine();
    const { task } = await steward.submit({
      source: "console",
      requester: "owner",
      text: "Objective: banana purple elephant\nDone when: yes",
    });
    expect(task.category).toBe("unsorted");
    expect(task.state).toBe("escalated");
    expect((await steward.events(task.id))[0]?.reason).toBe("does not fit any category");
    expect(task.routing.rule).toBe("catch_all");
  });

  it("a category named by the requester is recorded as the deciding rule", async () => {
    const { engine: steward } = engine();
    const { task } = await steward.submit({
      source: "console",
      requester: "owner",
      text: complete,
      category: "research",
    });
    expect(task.category).toBe("research");
    expect(task.routing.rule).toBe("explicit");
  });

  it.each([
    ["an empty request", { text: "   " }, "empty_request"],
    [
      "a field over the limit",
      { text: `Objective: ${"x".repeat(MAX_FIELD_CHARS + 1)}\nDone when: ok` },
      "field_too_long",
    ],
    [
      "a structured field over the limit",
      { fields: { objective: "ok", constraints: "y".repeat(MAX_FIELD_CHARS + 1) } },
      "field_too_long",
    ],
  ] as const)(
    "%s is refused with a clear message and nothing is stored",
    async (_name, request, code) => {
      const { engine: steward, database } = engine();
      let caught: unknown;
      try {
        await steward.submit({ source: "console", requester: "owner", ...request });
      } catch (error) {
        caught = error;
      }
      expect(isStewardError(caught, code)).toBe(true);
      expect((caught as Error).message.length).toBeGreaterThan(20);
      expect(database.db.select().from(tasks).all()).toEqual([]);
    },
  );

  it("a replayed delivery files nothing new and answers with the original task", async () => {
    const { engine: steward, database } = engine();
    const first = await steward.submit({
      source: "webhook:helpdesk",
      requester: "helpdesk",
      text: complete,
      dedupeKey: "d-1",
    });
    const again = await steward.submit({
      source: "webhook:helpdesk",
      requester: "helpdesk",
      text: complete,
      dedupeKey: "d-1",
    });
    expect(again.duplicate).toBe(true);
    expect(again.task.id).toBe(first.task.id);
    expect(database.db.select().from(tasks).all()).toHaveLength(1);
  });
});
