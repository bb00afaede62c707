import { describe, expect, it } from "vitest";
import {
  outboxMessages,
  policyConfig,
  runsOf,
  shellWorker,
  startEngine,
  states,
  submit,
  waitForState,
} from "./helpers.js";

describe("input failures", () => {
  it("sends the worker's question back to the requester, and runs again once answered", async () => {
    const { engine, records } = startEngine(
      policyConfig(`
        categories:
          - { name: support, description: Customer replies, examples: [reply], worker: asker }
        workers:
          asker: ${shellWorker("ask.mjs")}
      `),
    );

    const task = await submit(engine, "support", "Apologise for the late parcel");
    await waitForState(engine, task.id, "needs_clarification");

    const question = "which customer is this for? the brief names none";
    const error = `shell worker "asker" exited with code 65 (EX_DATAERR): ${question}`;
    const asked = await engine.detail(task.id);
    expect(asked.events.at(-1)).toMatchObject({
      from: "running",
      to: "needs_clarification",
      actor: "system",
      reason: `the worker needs more from the requester: ${error}`,
    });
    expect(asked.attempts).toMatchObject([
      { number: 1, outcome: "failed", failureClass: "input", error },
    ]);
    expect(asked.task).toMatchObject({ failureClass: "input", lastError: error, leaseOwner: null });
    expect(await outboxMessages(engine)).toMatchObject([
      { kind: "clarification", taskId: task.id, missing: [], note: error },
    ]);

    const answered = await engine.answer(task.id, { text: "It is for ACME, order 9920" }, "owner");
    expect(answered.task.state).toBe("queued");
    await waitForState(engine, task.id, "done");

    const { events, attempts, task: done } = await engine.detail(task.id);
    expect(await states(engine, task.id)).toEqual([
      "queued",
      "running",
      "needs_clarification",
      "queued",
      "running",
      "reviewing",
      "done",
    ]);
    expect(events[3]).toMatchObject({ from: "needs_clarification", to: "queued", actor: "owner" });
    expect(attempts.map((attempt) => [attempt.number, attempt.outcome])).toEqual([
      [1, "failed"],
      [2, "succeeded"],
    ]);
    // The second run was given the answer, and the fixture could write its reply.
    const second = runsOf(records, task.id)[1];
    expect(JSON.stringify(second?.brief)).toContain("It is for ACME, order 9920");
    expect(done.output).toMatch(/^Reply to ACME: /);
    expect((await outboxMessages(engine)).map((message) => message.kind)).toEqual([
      "clarification",
      "task_done",
    ]);
  });

  // KNOWN BUG, outside this suite's remit (src/intake/answer.ts, answerBrief): with no missing
  // fields, an unlabelled answer is parsed as a new objective and replaces the requester's.
  // Remove `.fails` once the answer joins the brief as context instead.
  it("keeps the objective when the answer to a worker's question is unlabelled", async () => {
    const { engine } = startEngine(
      policyConfig(`
        categories:
          - { name: support, description: Customer replies, examples: [reply], worker: asker }
        workers:
          asker: ${shellWorker("ask.mjs")}
      `),
    );
    const task = await submit(engine, "support", "Apologise for the late parcel");
    await waitForState(engine, task.id, "needs_clarification");

    await engine.answer(task.id, { text: "It is for ACME, order 9920" }, "owner");
    await waitForState(engine, task.id, "done");

    const done = await engine.task(task.id);
    expect(done.objective).toBe("Apologise for the late parcel");
    expect(done.inputs).toContain("It is for ACME, order 9920");
  });
});
