import type { TransitionStep } from "../core/ports.js";

/**
 * A task whose run is gone (its lease expired, or its completion was rolled back) back to the
 * queue. The abandoned attempt was not the task's fault: it does not use up the budget.
 */
export function requeueStep(maxAttempts: number, reason: string, now: number): TransitionStep {
  return {
    to: "queued",
    actor: "system",
    reason,
    patch: { leaseOwner: null, leaseExpiresAt: null, nextRunAt: now, maxAttempts: maxAttempts + 1 },
  };
}
