import type { Failure } from "../policy/classify.js";
import type { RunStop } from "./run-stop.js";

// What an attempt came to, as a value (see attempt.ts), and why the pool may stop a run.

/**
 * How one attempt ended, for the pool to apply (see apply-policy.ts):
 * - `settled`: nothing left to write (it completed, or its claim was rolled back);
 * - `failed`: the failure policy decides (`worker` is the one that failed: the task's or its reviewer);
 * - `shutdown`: stopped by Steward shutting down, the task goes back to the queue;
 * - `abandoned`: the task moved on (a cancel) while it ran: the attempt ends without a verdict.
 */
export type Outcome =
  | { kind: "settled" }
  | { kind: "failed"; worker: string; failure: Failure }
  | { kind: "shutdown" }
  | { kind: "abandoned"; why: string };

export const SETTLED_OUTCOME: Outcome = { kind: "settled" };

export class ShutdownAbort extends Error {
  override name = "ShutdownAbort";
}

export class CancelAbort extends Error {
  override name = "CancelAbort";
}

/** The run's claim was rolled back with its group: the task is queued again, the run void. */
export class ClaimLost extends Error {
  override name = "ClaimLost";
}

/** A completion undone with its group through no fault of its own: its task runs again. */
export class RolledBack extends Error {
  override name = "RolledBack";
}

/**
 * The run's lease was lost: its task was requeued meanwhile (the lease expired, or its process
 * was seen stopped) and may be another run's. As with a claim rolled back, the run is void.
 */
export class LeaseLost extends ClaimLost {
  override name = "LeaseLost";
}

/**
 * The run's claim is void, rolled back (see pass-batch.ts) or its lease lost: nothing it does may
 * be written.
 */
export function voided(stop: RunStop): boolean {
  return stop.reason instanceof ClaimLost;
}

/**
 * A run stopped by shutdown or cancel is no failure of the task: its outcome, or undefined when
 * the pool did not stop it.
 */
export function stoppedByPool(stop: RunStop): Outcome | undefined {
  // Nothing of the run is stored (its attempt's id may be another's by now): nothing to write.
  if (voided(stop)) return SETTLED_OUTCOME;
  if (stop.reason instanceof ShutdownAbort) return { kind: "shutdown" };
  if (stop.reason instanceof CancelAbort)
    return { kind: "abandoned", why: "cancelled while running" };
  return undefined;
}
