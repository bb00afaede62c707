import type { FastifyReply } from "fastify";
import type { Logger } from "../../core/log.js";

/** A refusal the client can act on: a stable code for scripts and a sentence for people. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** Errors Fastify raises before a handler runs (body too large, bad content length…). */
interface FrameworkError {
  statusCode?: number;
  code?: string;
  message: string;
}

const FRAMEWORK_CODES: Readonly<Record<number, string>> = {
  400: "bad_request",
  404: "not_found",
  413: "body_too_large",
  415: "unsupported_media_type",
};

/** Anything thrown on the way to a reply, as the status and JSON error we answer with. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const framework = error as FrameworkError;
  const status = framework.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    const code = FRAMEWORK_CODES[status] ?? "bad_request";
    const message = status === 413 ? "The request body is larger than allowed." : framework.message;
    return new HttpError(status, code, message);
  }
  return new HttpError(500, "internal", "Steward could not handle the request; see its log.");
}

/**
 * Every refusal is the same JSON shape and one log line. `what` names the route (a webhook,
 * /healthz); the body and any secret are never logged.
 */
export function refuse(
  reply: FastifyReply,
  logger: Logger,
  what: string,
  error: unknown,
): FastifyReply {
  const refusal = toHttpError(error);
  const context = { status: refusal.status, error: refusal.code };
  if (refusal.status >= 500) {
    const cause = error instanceof Error ? error.message : String(error);
    logger.error(`${what}: ${refusal.status} ${refusal.code} (${cause})`, context);
  } else {
    logger.warn(`${what}: ${refusal.status} ${refusal.code} (${refusal.message})`, context);
  }
  return reply
    .code(refusal.status)
    .type("application/json; charset=utf-8")
    .send({ error: refusal.code, message: refusal.message });
}
