import { formatDuration } from "../config/duration.js";
import type { Config } from "../config/schema.js";
import { backoffDelay } from "./backoff.js";
import type { Failure } from "./classify.js";

export type PolicyDecision =
  | { action: "retry"; delayMs: number; reason: string }
  | { action: "clarify"; reason: string }
  | { action: "escalate"; reason: string }
  | { action: "pause"; reason: string };

export interface FailureContext {
  failure: Failure;
  /** The attempt that just failed, 1-based. */
  attempt: number;
  maxAttempts: number;
  /** How many logic failures with this same signature the task has had, this one included. */
  sameLogicFailures: number;
}

/** The response to a failure: one per class, shaped by config, never by the error's wording. */
export function decide(
  context: FailureContext,
  policies: Config["policies"],
  random: () => number = Math.random,
): PolicyDecision {
  const { failure, attempt, maxAttempts } = context;
  switch (failure.failureClass) {
    case "input":
      return {
        action: "clarify",
        reason: `the worker needs more from the requester: ${failure.message}`,
      };
    case "systemic":
      return policies.systemic.pause
        ? { action: "pause", reason: `dependency down: ${failure.message}` }
        : { action: "escalate", reason: `dependency down: ${failure.message}` };
    case "logic": {
      const limit = policies.logic.escalate_after_same_failure;
      if (context.sameLogicFailures >= limit) {
        // Only a rejection by the review pass is the review's; a worker can fail this way alone.
        const repeated = failure.byReview
          ? `the review rejected the output ${context.sameLogicFailures} times for the same reason`
          : `the worker failed ${context.sameLogicFailures} times the same way`;
        return { action: "escalate", reason: `${repeated}: ${failure.message}` };
      }
      if (attempt >= maxAttempts) {
        return {
          action: "escalate",
          reason: `no accepted output after ${attempts(attempt)}: ${failure.message}`,
        };
      }
      return {
        action: "retry",
        delayMs: 0,
        reason: failure.byReview
          ? `review rejected the output, retrying with its reasons: ${failure.message}`
          : `the worker could not produce acceptable output, retrying: ${failure.message}`,
      };
    }
    case "transient": {
      if (attempt >= maxAttempts) {
        return {
          action: "escalate",
          reason: `retries exhausted after ${attempts(attempt)}: ${failure.message}`,
        };
      }
      const delay = Math.max(
        backoffDelay(policies.transient.backoff, attempt, random),
        failure.retryAfterMs ?? 0,
      );
      return {
        action: "retry",
        delayMs: delay,
        reason: `transient failure, retry ${attempt + 1}/${maxAttempts} in ${formatDuration(delay)}: ${failure.message}`,
      };
    }
  }
}

function attempts(count: number): string {
  return count === 1 ? "1 attempt" : `${count} attempts`;
}
