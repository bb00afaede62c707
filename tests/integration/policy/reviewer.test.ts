import { describe, expect, it } from "vitest";
import type { Config } from "../../../src/config/schema.js";
import { reply } from "../workers/helpers.js";
import {
  budgetLeft,
  completion,
  httpServer,
  openAiServer,
  outboxMessages,
  policyConfig,
  q,
  runsOf,
  shellWorker,
  startEngine,
  states,
  submit,
  waitFor,
  waitForState,
} from "./helpers.js";

/** A blurb category whose output is judged by an llm reviewer at `baseUrl`. */
function reviewedConfig(baseUrl: string, probeEvery = "50ms"): Config {
  return policyConfig(`
    categories:
      - name: blurb
        description: Short blurbs
        examples: [blurb]
        worker: writer
        review: { reviewer: critic }
    workers:
      writer: ${shellWorker("echo.mjs")}
      critic: { kind: llm, base_url: ${q(baseUrl)}, model: judge-1, timeout: 10s }
    policies:
      systemic: { pause: true, probe_every: ${probeEvery}, after_consecutive: 3 }
  `);
}

/** A fake OpenAI server that passes every output, after `delayMs`. */
async function slowReviewer(delayMs: number) {
  const { server, url } = await httpServer((_request, response) => {
    setTimeout(() => {
      if (!response.destroyed) reply(response, 200, completion('{"pass": true}'));
    }, delayMs);
  });
  return { server, baseUrl: `${url}/v1` };
}

describe("a reviewer worker's own failures", () => {
  it("a reviewer refusing its credentials pauses the category until a probe succeeds, without re-running the worker", async () => {
    let refusing = true;
    const { server, url } = await httpServer((_request, response) => {
      if (refusing) reply(response, 401, "invalid api key");
      else reply(response, 200, completion('{"pass": true}'));
    });
    const { engine, records } = startEngine(reviewedConfig(`${url}/v1`, "1s"));

    const task = await submit(engine, "blurb", "A blurb for the spring sale");
    await waitFor(() => engine.pool.isPaused("critic"), 5000, "the reviewer to be paused");

    const error =
      'llm worker "critic": HTTP 401 Unauthorized: invalid api key (check the worker\'s token or api_key)';
    expect((await engine.detail(task.id)).attempts).toMatchObject([
      { outcome: "failed", failureClass: "systemic", error },
    ]);
    expect(await engine.openIncidents()).toMatchObject([{ worker: "critic", error }]);
    // Until the probe is due the task waits: the worker is not run again and again for nothing.
    let ranAgain = false;
    const windowEnds = Date.now() + 500;
    await waitFor(
      async () => {
        if ((await engine.task(task.id)).state !== "queued") ranAgain = true;
        return Date.now() > windowEnds;
      },
      2000,
      "the wait",
    );
    expect(ranAgain).toBe(false);
    expect(runsOf(records, task.id)).toHaveLength(1);
    expect(await budgetLeft(engine, task.id)).toBe(3);

    refusing = false;
    await waitForState(engine, task.id, "done", 5000);
    expect(engine.pool.isPaused("critic")).toBe(false);
    expect(await engine.openIncidents()).toEqual([]);
    expect(server.requests).toHaveLength(2);
    // One escalation for the outage, resolved by the recovery; then the task's own notice.
    expect((await outboxMessages(engine)).map((message) => message.kind)).toEqual([
      "escalation",
      "task_escalated",
      "escalation_resolved",
      "task_done",
    ]);
  });

  it("a reviewer answer that is no verdict is the reviewer's failure: retried as transient, without feedback to the worker", async () => {
    const { baseUrl } = await openAiServer(["Looks good to me!", '{"pass": true}']);
    const { engine, records } = startEngine(reviewedConfig(baseUrl));

    const task = await submit(engine, "blurb", "A blurb for the spring sale");
    await waitForState(engine, task.id, "done");

    const { attempts, task: done } = await engine.detail(task.id);
    expect(
      attempts.map((attempt) => [attempt.outcome, attempt.failureClass, attempt.error]),
    ).toEqual([
      ["failed", "transient", "the reviewer's answer was not a verdict: Looks good to me!"],
      ["succeeded", null, null],
    ]);
    // The worker did nothing wrong: its next brief carries no rejection to act on.
    expect(runsOf(records, task.id)[1]?.brief.constraints).toEqual([]);
    expect(done.feedback).toEqual([]);
  });

  it("cancel while the reviewer judges abandons the attempt and keeps the task cancelled", async () => {
    const { baseUrl } = await slowReviewer(1500);
    const { engine } = startEngine(reviewedConfig(baseUrl));

    const task = await submit(engine, "blurb", "A blurb for the spring sale");
    await waitForState(engine, task.id, "reviewing");
    await engine.cancel(task.id, "owner");

    await waitFor(() => engine.pool.running === 0, 1000, "the review to stop");
    const { attempts, events } = await engine.detail(task.id);
    expect(await states(engine, task.id)).toEqual(["queued", "running", "reviewing", "cancelled"]);
    expect(events.at(-1)).toMatchObject({ actor: "owner" });
    expect(attempts).toMatchObject([{ outcome: "abandoned", error: "cancelled while running" }]);
  });

  it("a graceful stop does not wait out a slow reviewer: the task goes back to the queue", async () => {
    const { baseUrl } = await slowReviewer(5000);
    const { engine } = startEngine(reviewedConfig(baseUrl));

    const task = await submit(engine, "blurb", "A blurb for the spring sale");
    await waitForState(engine, task.id, "reviewing");
    const stopping = Date.now();
    await engine.stop(50);

    expect(Date.now() - stopping).toBeLessThan(2000);
    const { attempts, events } = await engine.detail(task.id);
    expect(events.at(-1)).toMatchObject({
      from: "reviewing",
      to: "queued",
      reason: "Steward shut down before it finished; it will run again",
    });
    expect(attempts).toMatchObject([
      { outcome: "abandoned", error: "Steward shut down before it finished" },
    ]);
    expect(await budgetLeft(engine, task.id)).toBe(3);
  });
});
