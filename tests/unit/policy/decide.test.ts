import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import type { Failure } from "../../../src/policy/classify.js";
import { decide } from "../../../src/policy/decide.js";

const { policies } = loadConfigFile("config/steward.yaml", {});

const logic = (overrides: Partial<Failure> = {}): Failure => ({
  failureClass: "logic",
  message: "shell worker exited with code 70 (EX_SOFTWARE)",
  connection: false,
  ...overrides,
});

describe("a logic failure's reason", () => {
  it.each([
    [
      "a worker that exits 70 twice: no review ran, so none is blamed",
      logic(),
      "the worker failed 2 times the same way: shell worker exited with code 70 (EX_SOFTWARE)",
    ],
    [
      "the review rejecting the output twice says so",
      logic({ message: "too long", reasons: ["too long"], byReview: true }),
      "the review rejected the output 2 times for the same reason: too long",
    ],
  ])("%s", (_situation, failure, reason) => {
    const decision = decide(
      { failure, attempt: 2, maxAttempts: 3, sameLogicFailures: 2 },
      policies,
    );
    expect(decision).toEqual({ action: "escalate", reason });
  });

  it("a worker's first logic failure is retried without mentioning a review", () => {
    const decision = decide(
      { failure: logic(), attempt: 1, maxAttempts: 3, sameLogicFailures: 1 },
      policies,
    );
    expect(decision).toMatchObject({ action: "retry" });
    expect(decision.reason).not.toContain("review");
  });
});

describe("a transient failure's reason", () => {
  it("counts one attempt in the singular", () => {
    const failure: Failure = { failureClass: "transient", message: "timed out", connection: false };
    const decision = decide(
      { failure, attempt: 1, maxAttempts: 1, sameLogicFailures: 0 },
      policies,
    );
    expect(decision.reason).toBe("retries exhausted after 1 attempt: timed out");
  });
});
