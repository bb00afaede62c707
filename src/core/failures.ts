/**
 * The failure taxonomy. A worker (or the review pass) says what kind of failure happened by
 * throwing one of these; the policy decides the response from the class, never from the text.
 */
export const FAILURE_CLASSES = ["transient", "input", "logic", "systemic"] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

export abstract class WorkerFailure extends Error {
  abstract readonly failureClass: FailureClass;
}

/** Worth retrying as-is: a timeout, a 503, a rate limit. */
export class TransientError extends WorkerFailure {
  readonly failureClass = "transient" as const;
  constructor(
    message: string,
    /** The dependency asked us to wait this long (e.g. Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "TransientError";
  }
}

/** The brief itself is wrong or incomplete: only the requester can fix it. */
export class InputError extends WorkerFailure {
  readonly failureClass = "input" as const;
  override name = "InputError";
}

/** The output does not meet the acceptance criteria. */
export class LogicError extends WorkerFailure {
  readonly failureClass = "logic" as const;
  constructor(
    message: string,
    readonly reasons: string[] = [message],
  ) {
    super(message);
    this.name = "LogicError";
  }
}

/** The worker's dependency is down: retrying task after task would only burn attempts. */
export class SystemicError extends WorkerFailure {
  readonly failureClass = "systemic" as const;
  override name = "SystemicError";
}

export function isWorkerFailure(error: unknown): error is WorkerFailure {
  return error instanceof WorkerFailure;
}
