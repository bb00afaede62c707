import { describe, expect, it } from "vitest";
import {
  openAiServer,
  outboxMessages,
  policyConfig,
  q,
  runsOf,
  shellWorker,
  startEngine,
  states,
  submit,
  waitForState,
} from "./helpers.js";

const reason = 'the output does not mention "SUMMARY"';
const feedback = `A reviewer rejected an earlier attempt: ${reason}`;

/** A category whose review demands a SUMMARY, served by draft.mjs in the given mode. */
function summaryConfig(mode: "stubborn" | "learns") {
  return policyConfig(`
    categories:
      - name: report
        description: Written reports
        examples: [report]
        worker: drafter
        limits: { max_attempts: 3 }
        review: { checks: [{ kind: contains, text: SUMMARY }] }
    workers:
      drafter: ${shellWorker("draft.mjs", { args: [mode] })}
    policies:
      logic: { escalate_after_same_failure: 2 }
  `);
}

describe("logic failures", () => {
  it("retries with the reviewer's reasons in the brief, and escalates when the same rejection repeats", async () => {
    const { engine, records } = startEngine(summaryConfig("stubborn"));

    const task = await submit(engine, "report", "Report on March sales");
    await waitForState(engine, task.id, "escalated");

    const { events, attempts } = await engine.detail(task.id);
    expect(await states(engine, task.id)).toEqual([
      "queued",
      "running",
      "reviewing",
      "retry_wait",
      "queued",
      "running",
      "reviewing",
      "escalated",
    ]);
    expect(events[3]).toMatchObject({
      from: "reviewing",
      to: "retry_wait",
      actor: "system",
      reason: `review rejected the output, retrying with its reasons: ${reason}`,
      data: { attempt: 1, failureClass: "logic", error: reason, worker: "drafter" },
    });
    const escalation = `the review rejected the output 2 times for the same reason: ${reason}`;
    expect(events.at(-1)).toMatchObject({
      from: "reviewing",
      to: "escalated",
      actor: "system",
      reason: escalation,
    });
    expect(
      attempts.map((attempt) => [attempt.outcome, attempt.failureClass, attempt.error]),
    ).toEqual([
      ["failed", "logic", reason],
      ["failed", "logic", reason],
    ]);

    // What each attempt was given: the second carried the review's reason.
    const runs = runsOf(records, task.id);
    expect(runs.map((run) => run.attempt)).toEqual([1, 2]);
    expect(runs[0]?.brief.constraints).not.toContain(feedback);
    expect(runs[1]?.brief.constraints).toContain(feedback);

    expect(await engine.task(task.id)).toMatchObject({ feedback: [reason], attempts: 2 });
    expect(await outboxMessages(engine)).toMatchObject([
      { kind: "task_escalated", taskId: task.id, reason: escalation },
    ]);
  });

  it("completes when the retried output, given the reviewer's reasons, passes", async () => {
    const { engine, records } = startEngine(summaryConfig("learns"));

    const task = await submit(engine, "report", "Report on March sales");
    await waitForState(engine, task.id, "done");

    const { attempts, task: done } = await engine.detail(task.id);
    expect(await states(engine, task.id)).toEqual([
      "queued",
      "running",
      "reviewing",
      "retry_wait",
      "queued",
      "running",
      "reviewing",
      "done",
    ]);
    expect(
      attempts.map((attempt) => [attempt.outcome, attempt.failureClass, attempt.error]),
    ).toEqual([
      ["failed", "logic", reason],
      ["succeeded", null, null],
    ]);
    expect(runsOf(records, task.id)[1]?.brief.constraints).toContain(feedback);
    expect(done.output).toMatch(/^SUMMARY: Report on March sales/);
    expect(done).toMatchObject({ failureClass: null, lastError: null });
    expect(await outboxMessages(engine)).toMatchObject([{ kind: "task_done", taskId: task.id }]);
  });

  it("retries on an llm reviewer's rejection and completes when it passes the second output", async () => {
    const { server, baseUrl } = await openAiServer([
      '{"pass": false, "reasons": ["too long"]}',
      '{"pass": true}',
    ]);
    const { engine, records } = startEngine(
      policyConfig(`
        categories:
          - name: blurb
            description: Short blurbs
            examples: [blurb]
            worker: writer
            review: { reviewer: critic }
        workers:
          writer: ${shellWorker("echo.mjs")}
          critic: { kind: llm, base_url: ${q(baseUrl)}, model: judge-1, timeout: 2s }
      `),
    );

    const task = await submit(engine, "blurb", "A blurb for the spring sale");
    await waitForState(engine, task.id, "done");

    const { events, attempts } = await engine.detail(task.id);
    expect(await states(engine, task.id)).toEqual([
      "queued",
      "running",
      "reviewing",
      "retry_wait",
      "queued",
      "running",
      "reviewing",
      "done",
    ]);
    expect(events[2]).toMatchObject({ to: "reviewing", actor: "worker:writer" });
    expect(events[3]).toMatchObject({
      from: "reviewing",
      to: "retry_wait",
      reason: "review rejected the output, retrying with its reasons: too long",
    });
    expect(
      attempts.map((attempt) => [attempt.outcome, attempt.failureClass, attempt.error]),
    ).toEqual([
      ["failed", "logic", "too long"],
      ["succeeded", null, null],
    ]);
    expect(runsOf(records, task.id)[1]?.brief.constraints).toContain(
      "A reviewer rejected an earlier attempt: too long",
    );

    // The reviewer was asked twice, each time with the output to judge.
    expect(server.requests).toHaveLength(2);
    const asked = JSON.parse(server.requests[0]?.body ?? "{}") as {
      model: string;
      messages: { content: string }[];
    };
    expect(asked.model).toBe("judge-1");
    expect(asked.messages[0]?.content).toContain("Output to review:\nA blurb for the spring sale");
    expect(await outboxMessages(engine)).toMatchObject([{ kind: "task_done", taskId: task.id }]);
  });
});
