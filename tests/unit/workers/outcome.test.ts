import { describe, expect, it } from "vitest";
import {
  CancelAbort,
  ClaimLost,
  ShutdownAbort,
  stoppedByPool,
  voided,
} from "../../../src/workers/outcome.js";
import { RunStop } from "../../../src/workers/run-stop.js";

function abortedWith(reason?: Error): RunStop {
  const stop = new RunStop();
  if (reason !== undefined) stop.abort(reason);
  return stop;
}

describe("what a run stopped by the pool comes to", () => {
  it.each([
    ["a rolled-back claim: nothing to write", new ClaimLost("x"), { kind: "settled" }],
    ["a shutdown: back to the queue", new ShutdownAbort("x"), { kind: "shutdown" }],
    [
      "a cancel: the attempt abandoned",
      new CancelAbort("x"),
      { kind: "abandoned", why: "cancelled while running" },
    ],
  ])("%s", (_, reason, outcome) => {
    expect(stoppedByPool(abortedWith(reason))).toEqual(outcome);
  });

  it("a run the pool did not stop (its deadline, its own failure) is left to the policy", () => {
    expect(stoppedByPool(abortedWith(new Error("timed out after 1s")))).toBeUndefined();
    expect(stoppedByPool(abortedWith())).toBeUndefined();
  });

  it("only a rolled-back claim voids the run", () => {
    expect(voided(abortedWith(new ClaimLost("x")))).toBe(true);
    expect(voided(abortedWith(new ShutdownAbort("x")))).toBe(false);
  });
});
