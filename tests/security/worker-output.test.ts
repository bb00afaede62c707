/** What a worker sends back is stored and shown: it is bounded like everything from outside. */
import { describe, expect, it } from "vitest";
import { MAX_ERROR_CHARS, MAX_OUTPUT_CHARS } from "../../src/workers/runner.js";
import { makeContext, makeTask, rejectionOf, runnerFor } from "../integration/workers/helpers.js";

const node = (script: string) => ({
  kind: "shell",
  command: [process.execPath, "-e", script],
  timeout: "20s",
});

describe("worker output", () => {
  it("an output of 2 million characters is cut to the limit, saying how much was left out", async () => {
    const run = runnerFor(node("process.stdout.write('x'.repeat(2e6))"));
    const { output } = await run(makeTask(), makeContext());
    expect(output.length).toBeLessThan(MAX_OUTPUT_CHARS + 100);
    expect(output).toMatch(/… \(1000000 more characters cut\)$/);
  });

  it("a failure message is bounded too", async () => {
    const run = runnerFor(node("process.stderr.write('e'.repeat(1e5)); process.exit(1)"));
    const error = (await rejectionOf(run(makeTask(), makeContext()))) as Error;
    expect(error.message.length).toBeLessThan(MAX_ERROR_CHARS + 100);
  });
});
