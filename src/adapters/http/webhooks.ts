import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { WebhookConfig } from "../../config/schema.js";
import { isStewardError } from "../../core/errors.js";
import { type Logger, silentLogger } from "../../core/log.js";
import { formatTaskId } from "../../core/states.js";
import type { Engine } from "../../engine/engine.js";
import { HttpError, refuse, toHttpError } from "./errors.js";
import type { StewardMetrics } from "./metrics.js";
import { DELIVERY_HEADER, parseBody, toRawRequest } from "./payload.js";
import { verifyDelivery } from "./signature.js";

/** A name from the URL, safe to put in a log line (no newlines, bounded). */
function shown(name: string): string {
  return /^[a-z][a-z0-9_-]{0,63}$/.test(name) ? name : JSON.stringify(name.slice(0, 64));
}

/**
 * `POST /webhooks/<name>`: one route per configured webhook, each with its own body limit, so
 * Fastify refuses an oversized body (413) while reading it. Any other name is a 404 before the
 * body is read. Nothing is stored for a refused request: intake runs only once every check passed.
 */
export async function webhookRoutes(
  scope: FastifyInstance,
  options: { engine: Engine; logger: Logger; metrics: Pick<StewardMetrics, "countRefusal"> },
): Promise<void> {
  const { engine, logger, metrics } = options;
  // The signature covers the exact bytes, so the body stays a Buffer until it is verified.
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => {
    done(null, body);
  });

  for (const [name, webhook] of Object.entries(engine.config.webhooks)) {
    const what = `webhook ${name}`;
    const disabled = webhook.secret === "";
    // Said once here; each refused request is then only counted, so probes cannot flood the log.
    if (disabled) {
      logger.warn(
        `${what} is disabled: its secret is not set, so it refuses every request (503, counted in steward_webhook_refusals_total)`,
      );
    }
    scope.post(`/webhooks/${name}`, {
      bodyLimit: webhook.max_body_bytes,
      errorHandler: (error, _request, reply) => {
        const refusal = toHttpError(error);
        metrics.countRefusal(name, refusal.code);
        return refuse(reply, disabled ? silentLogger : logger, what, error);
      },
      handler: async (request, reply) => accept(engine, logger, name, webhook, request, reply),
    });
  }

  scope.post<{ Params: { name: string } }>("/webhooks/:name", {
    // Refused before the body is read: an unknown name gets no say in how much we read.
    onRequest: async (request, reply) => {
      const name = request.params.name;
      return refuse(
        reply,
        logger,
        `webhook ${shown(name)}`,
        new HttpError(
          404,
          "unknown_webhook",
          `No webhook named ${JSON.stringify(name.slice(0, 64))}.`,
        ),
      );
    },
    handler: async (_request, reply) => reply,
  });
}

async function accept(
  engine: Engine,
  logger: Logger,
  name: string,
  webhook: WebhookConfig,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  if (webhook.secret === "") {
    // No secret configured means no way to tell real deliveries from forged ones.
    throw new HttpError(
      503,
      "webhook_disabled",
      `Webhook ${name} has no secret configured; it accepts nothing until one is set.`,
    );
  }
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const verified = verifyDelivery({
    secret: webhook.secret,
    headers: request.headers,
    body,
    nowMs: engine.clock.now(),
  });
  const payload = parseBody(body);
  const raw = toRawRequest(name, webhook, payload, {
    ...verified,
    header: request.headers[DELIVERY_HEADER],
  });
  let result: Awaited<ReturnType<Engine["submit"]>>;
  try {
    result = await engine.submit(raw);
  } catch (error) {
    if (isStewardError(error)) throw new HttpError(422, error.code, error.message);
    throw error;
  }
  const { task, missing, duplicate } = result;
  const answer = {
    task: formatTaskId(task.id),
    state: task.state,
    category: task.category,
    missing,
    duplicate,
  };
  if (duplicate) {
    logger.info(`webhook ${name}: replayed delivery, already ${answer.task} (${task.state})`);
    return reply.code(200).send(answer);
  }
  logger.info(`webhook ${name}: filed ${answer.task} as ${task.category} (${task.state})`);
  return reply.code(202).send(answer);
}
