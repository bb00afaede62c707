/** Expected failures carry a stable code callers can switch on, and a message for people. */
export type StewardErrorCode =
  | "illegal_transition"
  | "task_not_found"
  | "task_moved"
  | "empty_request"
  | "field_too_long"
  | "unknown_category"
  | "config_invalid"
  | "not_operator"
  | "escalation_not_found"
  | "stale_action";

export class StewardError extends Error {
  constructor(
    readonly code: StewardErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "StewardError";
  }
}

export function isStewardError(error: unknown, code?: StewardErrorCode): error is StewardError {
  return error instanceof StewardError && (code === undefined || error.code === code);
}

/** Anything thrown becomes an Error, so a failing job is recorded rather than crashing a loop. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === "string") return new Error(thrown);
  try {
    return new Error(JSON.stringify(thrown));
  } catch {
    return new Error(String(thrown));
  }
}

/**
 * What went wrong, for a log line: a wrapper's cause first (drizzle's "Failed query: …" hides
 * the server's answer in `cause`), then the wrapper's first line.
 */
export function describeError(error: Error, depth = 0): string {
  const first = error.message.split("\n", 1)[0]!;
  // (A few causes deep at most: a cause may, by mistake, lead back to its error.)
  if (!(error.cause instanceof Error) || depth >= 4) return first;
  return `${describeError(error.cause, depth + 1)} (${first})`;
}
