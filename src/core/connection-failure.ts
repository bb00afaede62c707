/**
 * A failure to reach a dependency at all (refused, reset, unknown host), as opposed to an answer
 * saying no. The HTTP and llm worker kinds throw `ConnectionError`; the failure policy asks
 * `isConnectionFailure` to count consecutive ones and decide the dependency is down.
 */
import { TransientError } from "./failures.js";

/** A request that never got an HTTP answer: refused, unresolvable host, reset. */
export class ConnectionError extends TransientError {
  /** Lets the policy recognise one even across module copies, without `instanceof`. */
  readonly connectionFailure = true;

  constructor(
    message: string,
    /** `ECONNREFUSED`, `ENOTFOUND`, …, or `fetch failed` when the runtime gave no code. */
    readonly code: string,
  ) {
    super(message);
    this.name = "ConnectionError";
  }
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_CLOSED",
]);

/** Is this error a failure to reach the service (as opposed to an answer saying no)? */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof ConnectionError) return true;
  if (isPlainObject(error) && error.connectionFailure === true) return true;
  return connectionFailureCode(error) !== undefined;
}

/**
 * The code behind a failed fetch. Node's fetch throws `TypeError("fetch failed")` with the
 * socket error (or an AggregateError of them) somewhere down the `cause` chain.
 */
export function connectionFailureCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === "string" && CONNECTION_CODES.has(code)) return code;
    if (current instanceof AggregateError && current.errors.length > 0) {
      const inner = connectionFailureCode(current.errors[0]);
      if (inner !== undefined) return inner;
    }
    current = current.cause;
  }
  if (error instanceof TypeError && error.message === "fetch failed") return "fetch failed";
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
