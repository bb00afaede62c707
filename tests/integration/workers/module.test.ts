import { describe, expect, it } from "vitest";
import { InputError, SystemicError, TransientError } from "../../../src/core/failures.js";
import { makeContext, makeTask, rejectionOf, runnerFor } from "./helpers.js";

describe("module worker", () => {
  it("calls the default export and takes a string as output", async () => {
    const run = runnerFor({ kind: "module", path: "module-string.ts" });
    const result = await run(makeTask({ objective: "write it" }), makeContext());
    expect(result).toEqual({ output: "done: write it" });
  });

  it("calls a named export returning { output, meta }, with the task in its context", async () => {
    const run = runnerFor({ kind: "module", path: "./module-object.ts", export: "run" });
    const result = await run(makeTask({ objective: "summarise" }), makeContext());
    expect(result).toEqual({
      output: "task 17: summarise",
      meta: { tokens: 42, source: "fixture" },
    });
  });

  it("imports the module once per runner", async () => {
    const run = runnerFor({ kind: "module", path: "module-string.ts" });
    const [a, b] = await Promise.all([
      run(makeTask({ objective: "a" }), makeContext()),
      run(makeTask({ objective: "b" }), makeContext()),
    ]);
    expect([a.output, b.output]).toEqual(["done: a", "done: b"]);
  });

  it("lets the handler throw typed errors", async () => {
    const run = runnerFor({ kind: "module", path: "module-input-error.ts" });
    const error = await rejectionOf(run(makeTask(), makeContext()));
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe("the brief names no customer");
  });

  it("reports a missing export as systemic, naming what exists", async () => {
    const run = runnerFor({ kind: "module", path: "module-object.ts", export: "handle" });
    const error = await rejectionOf(run(makeTask(), makeContext()));
    expect(error).toBeInstanceOf(SystemicError);
    expect((error as Error).message).toMatch(/no function export "handle" \(exports: run\)/);
  });

  it("reports a missing file as systemic", async () => {
    const run = runnerFor({ kind: "module", path: "no-such-module.ts" });
    const error = await rejectionOf(run(makeTask(), makeContext()));
    expect(error).toBeInstanceOf(SystemicError);
    expect((error as Error).message).toMatch(/module file not found: .*no-such-module\.ts/);
  });

  it("stops waiting for a handler that ignores the abort", async () => {
    const run = runnerFor({ kind: "module", path: "module-hang.ts" });
    const controller = new AbortController();
    const running = run(makeTask(), makeContext({ signal: controller.signal }));
    setTimeout(() => controller.abort(new Error("timed out after 5m")), 50);
    const error = await rejectionOf(running);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe("timed out after 5m");
  });
});
