import { describe, expect, it } from "vitest";
import { tempDir } from "../../helpers.js";
import { reply } from "../workers/helpers.js";
import {
  httpServer,
  makeEngine,
  outboxMessages,
  policyConfig,
  processesWith,
  q,
  shellWorker,
  startEngine,
  states,
  submit,
  waitFor,
  waitForState,
} from "./helpers.js";

describe("transient failures", () => {
  it("retries an http worker answering 503 twice, honouring Retry-After, then completes on the third attempt", async () => {
    const { server, url } = await httpServer((_request, response) => {
      const served = server.requests.length;
      if (served === 1) reply(response, 503, "busy", { "retry-after": "1" });
      else if (served === 2) reply(response, 503, "still busy");
      else reply(response, 200, JSON.stringify({ output: "The forecast is sunny", tokens: 12 }));
    });
    const { engine } = startEngine(
      policyConfig(`
        categories:
          - { name: fetch, description: Fetch things, examples: [fetch], worker: api }
        workers:
          api: { kind: http, url: ${q(`${url}/run`)}, timeout: 2s }
      `),
    );

    const task = await submit(engine, "fetch", "Fetch the weather forecast");
    await waitForState(engine, task.id, "done", 5000);

    const { events, attempts } = await engine.detail(task.id);
    expect(await states(engine, task.id)).toEqual([
      "queued",
      "running",
      "retry_wait",
      "queued",
      "running",
      "retry_wait",
      "queued",
      "running",
      "reviewing",
      "done",
    ]);
    const retries = events.filter((event) => event.to === "retry_wait");
    expect(retries.map((event) => event.actor)).toEqual(["system", "system"]);
    // The first 503 asked for a second: that beats the 8ms backoff. The second did not ask.
    expect(retries[0]?.reason).toMatch(
      /^transient failure, retry 2\/3 in 1s: http worker "api": HTTP 503/,
    );
    expect(retries[1]?.reason).toMatch(/^transient failure, retry 3\/3 in 15ms: /);
    expect(retries[0]?.data).toMatchObject({
      attempt: 1,
      failureClass: "transient",
      worker: "api",
    });
    const requeued = events.filter((event) => event.from === "retry_wait");
    expect(requeued.map((event) => event.reason)).toEqual(["retry wait over", "retry wait over"]);
    expect(requeued[0]!.at - retries[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(requeued[1]!.at - retries[1]!.at).toBeLessThan(1000);
    expect(events.filter((event) => event.to === "running").map((event) => event.reason)).toEqual([
      "attempt 1 started by api",
      "attempt 2 started by api",
      "attempt 3 started by api",
    ]);
    expect(events.at(-1)).toMatchObject({ from: "reviewing", to: "done", actor: "system" });

    expect(
      attempts.map((attempt) => [attempt.number, attempt.outcome, attempt.failureClass]),
    ).toEqual([
      [1, "failed", "transient"],
      [2, "failed", "transient"],
      [3, "succeeded", null],
    ]);
    expect(attempts[0]?.error).toBe('http worker "api": HTTP 503 Service Unavailable: busy');
    expect(attempts[1]?.error).toBe('http worker "api": HTTP 503 Service Unavailable: still busy');

    const done = await engine.task(task.id);
    expect(done).toMatchObject({
      attempts: 3,
      output: "The forecast is sunny",
      failureClass: null,
      lastError: null,
    });
    expect(server.requests).toHaveLength(3);
    expect(await outboxMessages(engine)).toMatchObject([{ kind: "task_done", taskId: task.id }]);
  });

  it("escalates when the 503s outlast max_attempts, with a task_escalated message", async () => {
    const { server, url } = await httpServer((_request, response) =>
      reply(response, 503, "down for maintenance"),
    );
    const { engine } = startEngine(
      policyConfig(`
        categories:
          - name: fetch
            description: Fetch things
            examples: [fetch]
            worker: api
            limits: { max_attempts: 3 }
        workers:
          api: { kind: http, url: ${q(`${url}/run`)}, timeout: 2s }
      `),
    );

    const task = await submit(engine, "fetch", "Fetch the weather forecast");
    await waitForState(engine, task.id, "escalated");

    const { events, attempts } = await engine.detail(task.id);
    const error = 'http worker "api": HTTP 503 Service Unavailable: down for maintenance';
    const reason = `retries exhausted after 3 attempts: ${error}`;
    expect(events.at(-1)).toMatchObject({
      from: "running",
      to: "escalated",
      actor: "system",
      reason,
    });
    expect((await states(engine, task.id)).filter((state) => state === "running")).toHaveLength(3);
    expect(
      attempts.map((attempt) => [attempt.outcome, attempt.failureClass, attempt.error]),
    ).toEqual([
      ["failed", "transient", error],
      ["failed", "transient", error],
      ["failed", "transient", error],
    ]);
    expect(await engine.task(task.id)).toMatchObject({
      attempts: 3,
      failureClass: "transient",
      lastError: error,
      leaseOwner: null,
    });
    expect(await outboxMessages(engine)).toMatchObject([
      { kind: "task_escalated", taskId: task.id, reason },
    ]);
    expect(server.requests).toHaveLength(3);
  });

  it("kills a shell worker that outlives its timeout and records the attempt as transient", async () => {
    // A folder unique to this test: passed as an argument, it marks our children in /proc.
    const marker = tempDir();
    const { engine } = makeEngine(
      policyConfig(`
        categories:
          - name: slow
            description: Slow work
            examples: [slow]
            worker: sleeper
            limits: { max_attempts: 2 }
        workers:
          sleeper: ${shellWorker("sleep.mjs", { timeout: "200ms", args: [marker] })}
      `),
    );
    engine.start();

    const task = await submit(engine, "slow", "Take your time");
    await waitFor(() => processesWith(marker).length > 0, 3000, "the worker's child to start");
    await waitForState(engine, task.id, "escalated");

    const { attempts, events } = await engine.detail(task.id);
    expect(
      attempts.map((attempt) => [attempt.outcome, attempt.failureClass, attempt.error]),
    ).toEqual([
      ["failed", "transient", "timed out after 200ms"],
      ["failed", "transient", "timed out after 200ms"],
    ]);
    for (const attempt of attempts) {
      expect(attempt.endedAt! - attempt.startedAt).toBeGreaterThanOrEqual(200);
    }
    expect(events.at(-1)?.reason).toBe("retries exhausted after 2 attempts: timed out after 200ms");
    // The children were stopped, not left sleeping their 30 seconds.
    await waitFor(() => processesWith(marker).length === 0, 3000, "the sleeping children to die");
  });
});
