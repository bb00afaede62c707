import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.js";
import { ManualClock } from "../../../src/core/clock.js";
import { isStewardError } from "../../../src/core/errors.js";
import { Engine } from "../../../src/engine/engine.js";
import { inOrder, insertTask, testDatabase } from "../../helpers.js";

const defaultYaml = readFileSync("config/steward.yaml", "utf8");

function steward(extra = "", env: Record<string, string> = {}) {
  const clock = new ManualClock(Date.UTC(2026, 10, 24, 12, 0));
  const database = testDatabase();
  const config = parseConfig(`${defaultYaml}\n${extra}`, "config/steward.yaml", {
    DISCORD_OPERATOR_ROLE_ID: "role-ops",
    ...env,
  });
  const engine = new Engine({ config, configDir: "config", database, clock });
  return { engine, clock, database };
}

/** Escalates a running task the way the pool does, through the engine's own hook. */
async function escalateFailure(
  engine: Engine,
  database: ReturnType<typeof testDatabase>,
  error: string,
  category = "support",
) {
  const task = insertTask(database, {
    state: "running",
    category,
    attempts: 3,
    maxAttempts: 3,
    acceptanceCriteria: ["sent to the list"],
  });
  await engine.escalate(task.id, {
    reason: `retries exhausted after 3 attempts: ${error}`,
    failureClass: "transient",
    worker: "demo-writer",
    error,
  });
  return task;
}

async function escalationMessages(engine: Engine) {
  return (await engine.outbox.pending(100))
    .map((m) => m.message)
    .filter((m) => m.kind.startsWith("escalation"));
}

describe("escalation batching", () => {
  it("15 failures with one root cause in one window become one message", async () => {
    const { engine, clock, database } = steward();
    for (let port = 0; port < 15; port++)
      await escalateFailure(engine, database, `connect ECONNREFUSED 127.0.0.1:${8000 + port}`);
    expect(await engine.flushEscalations()).toBe(0);
    clock.advance(5 * 60_000);

    expect(await engine.flushEscalations()).toBe(1);
    const messages = await escalationMessages(engine);
    expect(messages).toHaveLength(1);
    const card = await engine.escalationCard(
      (messages[0] as { escalationId: number }).escalationId,
    );
    expect(card.title).toContain("15 tasks in `support` failed (transient)");
    expect(card.taskIds).toHaveLength(15);
  });

  it("two root causes become two messages", async () => {
    const { engine, clock, database } = steward();
    for (let i = 0; i < 5; i++)
      await escalateFailure(engine, database, "HTTP 503 from the model endpoint");
    for (let i = 0; i < 4; i++)
      await escalateFailure(engine, database, "HTTP 503 from the model endpoint", "content");
    clock.advance(5 * 60_000);
    expect(await engine.flushEscalations()).toBe(2);
    expect(await escalationMessages(engine)).toHaveLength(2);
  });

  it("a request that fits nowhere is escalated through the same window", async () => {
    const { engine, clock } = steward();
    await engine.submit({
      source: "console",
      requester: "owner",
      text: "Objective: banana purple elephant\nDone when: yes",
    });
    clock.advance(5 * 60_000);
    expect(await engine.flushEscalations()).toBe(1);
    const card = await engine.escalationCard(1);
    expect(card.actions).toEqual(["reroute", "cancel"]);
  });

  it("quiet hours hold non-urgent escalations and deliver them as one digest", async () => {
    const { engine, clock, database } = steward("", {});
    engine.config.escalation.quiet_hours = { start: "11:00", end: "14:00", timezone: "UTC" };
    await escalateFailure(engine, database, "HTTP 503");
    await escalateFailure(engine, database, "HTTP 400 bad prompt", "content");
    clock.advance(10 * 60_000);
    expect(await engine.flushEscalations()).toBe(0);
    clock.set(Date.UTC(2026, 10, 24, 14, 0));
    expect(await engine.flushEscalations()).toBe(1);
    expect(await escalationMessages(engine)).toEqual([
      { kind: "escalation_digest", escalationIds: [1, 2] },
    ]);
  });
});

describe("escalation actions", () => {
  it("a non-operator is refused and nothing changes", async () => {
    const { engine, clock, database } = steward();
    const task = await escalateFailure(engine, database, "HTTP 503");
    clock.advance(5 * 60_000);
    await engine.flushEscalations();
    let caught: unknown;
    try {
      await engine.actOnEscalation(
        1,
        { action: "retry" },
        { id: "U-stranger", roles: ["role-guest"] },
      );
    } catch (error) {
      caught = error;
    }
    expect(isStewardError(caught, "not_operator")).toBe(true);
    expect((await engine.task(task.id)).state).toBe("escalated");
  });

  it("an operator's retry acts on the whole group, records who did it and resolves it", async () => {
    const { engine, clock, database } = steward();
    const tasks = await inOrder([1, 2, 3], () => escalateFailure(engine, database, "HTTP 503"));
    clock.advance(5 * 60_000);
    await engine.flushEscalations();

    const outcome = await engine.actOnEscalation(
      1,
      { action: "retry" },
      { id: "U-owner", roles: ["role-ops"] },
    );

    expect(outcome.acted.map((t) => t.state)).toEqual(["queued", "queued", "queued"]);
    expect(outcome.resolved).toBe(true);
    for (const task of tasks) {
      expect((await engine.events(task.id)).at(-1)).toMatchObject({
        from: "escalated",
        to: "queued",
        actor: "U-owner",
      });
    }
    expect((await engine.escalationCard(1)).footer).toContain("Resolved: retried by U-owner");
  });

  it("reroute and cancel can act on a single task of a group", async () => {
    const { engine, clock, database } = steward();
    const [first, second] = await inOrder([1, 2], () =>
      escalateFailure(engine, database, "HTTP 503"),
    );
    clock.advance(5 * 60_000);
    await engine.flushEscalations();
    const operator = { id: "U-owner", roles: ["role-ops"] };

    const rerouted = await engine.actOnEscalation(
      1,
      { action: "reroute", category: "research" },
      operator,
      first!.id,
    );
    expect(rerouted.acted[0]).toMatchObject({ state: "queued", category: "research" });
    expect(rerouted.resolved).toBe(false);

    const cancelled = await engine.actOnEscalation(1, { action: "cancel" }, operator, second!.id);
    expect(cancelled.acted[0]?.state).toBe("cancelled");
    expect(cancelled.resolved).toBe(true);
  });

  it("a stale button does nothing harmful and says why", async () => {
    const { engine, clock, database } = steward();
    await escalateFailure(engine, database, "HTTP 503");
    clock.advance(5 * 60_000);
    await engine.flushEscalations();
    const operator = { id: "U-owner", roles: ["role-ops"] };
    await engine.actOnEscalation(1, { action: "cancel" }, operator);

    await expect(engine.actOnEscalation(1, { action: "retry" }, operator)).rejects.toThrow(
      /already resolved \(cancelled by U-owner\)/,
    );
  });

  it("a task that moved on since the message is skipped with the reason", async () => {
    const { engine, clock, database } = steward();
    const [first] = await inOrder([1, 2], () => escalateFailure(engine, database, "HTTP 503"));
    clock.advance(5 * 60_000);
    await engine.flushEscalations();
    await engine.retry(first!.id, "U-other");

    const outcome = await engine.actOnEscalation(
      1,
      { action: "retry" },
      { id: "U-owner", roles: ["role-ops"] },
    );
    expect(outcome.acted.map((task) => task.id)).not.toContain(first!.id);
    expect(outcome.acted).toHaveLength(1);
    expect(outcome.resolved).toBe(true);
  });
});

describe("rerouting", () => {
  it("a rerouted task that the new category finds incomplete goes back to its requester, not the queue", async () => {
    const { engine } = steward();
    // Engineering without default criteria: the reroute finds the brief incomplete.
    engine.config.categories.find((c) => c.name === "engineering")!.defaults.acceptance_criteria =
      undefined;
    const { task } = await engine.submit({
      source: "console",
      requester: "owner",
      text: "banana purple elephant",
    });
    expect(task.state).toBe("escalated");

    const moved = await engine.reroute(task.id, "engineering", "U-owner");

    expect(moved.state).toBe("needs_clarification");
    expect(moved.missingFields).toEqual(["acceptance_criteria"]);
    expect(moved.routing.rule).toBe("reroute");
    expect((await engine.outbox.pending(20)).map((m) => m.message.kind)).toContain("clarification");
  });
});

describe("one root cause, one message", () => {
  it("a failure with the cause of a posted, undecided group joins it and updates its message", async () => {
    const { engine, clock, database } = steward();
    await escalateFailure(engine, database, "HTTP 503");
    clock.advance(5 * 60_000);
    await engine.flushEscalations();

    clock.advance(60 * 60_000);
    await escalateFailure(engine, database, "HTTP 503");
    clock.advance(5 * 60_000);
    await engine.flushEscalations();

    expect((await escalationMessages(engine)).map((m) => m.kind)).toEqual([
      "escalation",
      "escalation_updated",
    ]);
    expect((await engine.escalationCard(1)).taskIds).toHaveLength(2);
  });
});
