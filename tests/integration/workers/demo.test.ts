import { describe, expect, it } from "vitest";
import { TransientError } from "../../../src/core/failures.js";
import { DEMO_MARKER } from "../../../src/workers/kinds/demo.js";
import { makeContext, makeTask, rejectionOf, runnerFor, sampleBrief } from "./helpers.js";

describe("demo worker", () => {
  it("writes a draft marked as demo that addresses the objective and each criterion", async () => {
    const run = runnerFor({ kind: "demo" });
    const result = await run(makeTask(), makeContext());

    expect(result.output.split("\n")[0]).toBe(DEMO_MARKER);
    expect(result.output).toContain(sampleBrief.objective);
    for (const criterion of sampleBrief.acceptance_criteria) {
      expect(result.output).toContain(criterion);
    }
    expect(result.meta?.demo).toBe(true);
  });

  it("is deterministic for a given brief", async () => {
    const run = runnerFor({ kind: "demo" });
    const first = await run(makeTask(), makeContext());
    const second = await run(makeTask(), makeContext());
    expect(second.output).toBe(first.output);
  });

  it("follows the requested output format", async () => {
    const run = runnerFor({ kind: "demo" });
    const markdown = await run(makeTask({ output_format: "markdown draft" }), makeContext());
    expect(markdown.output).toContain(`# ${sampleBrief.objective}`);
    expect(markdown.output).toContain(`- [x] ${sampleBrief.acceptance_criteria[0]}`);

    const json = await run(makeTask({ output_format: "JSON object" }), makeContext());
    const parsed = JSON.parse(json.output) as { notice: string; objective: string };
    expect(parsed.notice).toBe(DEMO_MARKER);
    expect(parsed.objective).toBe(sampleBrief.objective);
  });

  it("waits for its delay", async () => {
    const run = runnerFor({ kind: "demo", delay: "200ms" });
    const started = Date.now();
    await run(makeTask(), makeContext());
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it("rejects promptly when aborted during its delay", async () => {
    const run = runnerFor({ kind: "demo", delay: "30s" });
    const controller = new AbortController();
    const started = Date.now();
    const running = run(makeTask(), makeContext({ signal: controller.signal }));
    setTimeout(() => controller.abort(new Error("timed out after 30s")), 50);
    const error = await rejectionOf(running);

    expect(Date.now() - started).toBeLessThan(1000);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe("timed out after 30s");
  });
});
