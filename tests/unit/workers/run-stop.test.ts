import { describe, expect, it } from "vitest";
import { RunStop } from "../../../src/workers/run-stop.js";

describe("a run's stop switch", () => {
  it("has no reason while the run may go on, and its signal is not aborted", () => {
    const stop = new RunStop();
    expect(stop.reason).toBeUndefined();
    expect(stop.signal.aborted).toBe(false);
  });

  it("aborts a signal already asked for, with the reason", () => {
    const stop = new RunStop();
    const { signal } = stop;
    let heard: unknown;
    signal.addEventListener("abort", () => {
      heard = signal.reason;
    });
    const reason = new Error("timed out after 1s");
    stop.abort(reason);
    expect(stop.reason).toBe(reason);
    expect(heard).toBe(reason);
  });

  it("makes a signal asked for after the stop already aborted, with the reason", () => {
    const stop = new RunStop();
    const reason = new Error("cancelled");
    stop.abort(reason);
    expect(stop.signal.aborted).toBe(true);
    expect(stop.signal.reason).toBe(reason);
  });

  it("keeps the first reason, as an AbortController does", () => {
    const stop = new RunStop();
    const first = new Error("first");
    stop.abort(first);
    stop.abort(new Error("second"));
    expect(stop.reason).toBe(first);
    expect(stop.signal.reason).toBe(first);
  });

  it("hands out one signal", () => {
    const stop = new RunStop();
    expect(stop.signal).toBe(stop.signal);
  });
});
