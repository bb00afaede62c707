import { isConnectionFailure } from "../core/connection-failure.js";
import { coerceError } from "../core/errors.js";
import {
  type FailureClass,
  isWorkerFailure,
  LogicError,
  TransientError,
} from "../core/failures.js";
import { configuredPattern } from "../core/pattern.js";

/** A failure as the policy sees it: a class, a message, and what the worker added. */
export interface Failure {
  failureClass: FailureClass;
  message: string;
  retryAfterMs?: number;
  /** Review reasons, for logic failures. */
  reasons?: string[];
  /** The review pass rejected the output (a logic failure the worker itself raised is not). */
  byReview?: boolean;
  /** The dependency could not be reached at all (refused, reset, unknown host). */
  connection: boolean;
}

export interface ErrorRule {
  match: string;
  class: FailureClass;
}

/**
 * Typed failures keep their class; anything else is matched against the configured rules
 * (message, then error code), and is transient when no rule matches.
 */
export function classifyError(thrown: unknown, rules: readonly ErrorRule[] = []): Failure {
  const error = coerceError(thrown);
  const connection = isConnectionFailure(error);
  if (isWorkerFailure(error)) {
    return {
      failureClass: error.failureClass,
      message: error.message,
      retryAfterMs: error instanceof TransientError ? error.retryAfterMs : undefined,
      reasons: error instanceof LogicError ? error.reasons : undefined,
      connection,
    };
  }
  const code = (error as { code?: unknown }).code;
  const subject = [error.message, typeof code === "string" ? code : ""].join(" ");
  const rule = rules.find((candidate) => configuredPattern(candidate.match).test(subject));
  return { failureClass: rule?.class ?? "transient", message: error.message, connection };
}

/** The same failure, whatever ids, numbers and times it mentions: for "the same rejection again". */
export function errorSignature(message: string): string {
  return message
    .toLowerCase()
    .replace(/\b[0-9a-f]{8,}\b/g, "#")
    .replace(/\d+(\.\d+)?/g, "#")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 160);
}
