import type { AddressInfo } from "node:net";
import Fastify from "fastify";
import type { Logger } from "../../core/log.js";
import type { Engine } from "../../engine/engine.js";
import { HttpError, refuse } from "./errors.js";
import { type HealthParts, healthRoutes } from "./health.js";
import { createMetrics, metricsRoutes, type StewardMetrics } from "./metrics.js";
import { webhookRoutes } from "./webhooks.js";

export type { HealthPart, HealthParts } from "./health.js";

export interface HttpServerOptions {
  /** `config.http.host`; 127.0.0.1 unless the operator chose to expose it. */
  host: string;
  /** `0` picks a free port; the log line and `port` say which. */
  port: number;
  logger: Logger;
  health: () => HealthParts | Promise<HealthParts>;
}

export interface HttpServer {
  url: string;
  port: number;
  /** The monitor wiring reports status-check durations here. */
  metrics: StewardMetrics;
  close(): Promise<void>;
}

/** A slow client may not hold a connection open forever (webhook bodies are small). */
const REQUEST_TIMEOUT_MS = 30_000;

/** Signed webhooks, /livez, /readyz, /healthz and /metrics on one Fastify server. */
export async function startHttpServer(
  engine: Engine,
  options: HttpServerOptions,
): Promise<HttpServer> {
  const { logger } = options;
  // Fastify's own logger stays off: Steward logs its own lines through `logger`.
  const app = Fastify({ logger: false, requestTimeout: REQUEST_TIMEOUT_MS });
  const metrics = createMetrics(engine);

  app.setErrorHandler((error, request, reply) =>
    refuse(reply, logger, `${request.method} ${request.routeOptions.url ?? "?"}`, error),
  );
  app.setNotFoundHandler((request, reply) =>
    refuse(
      reply,
      logger,
      `${request.method} ${JSON.stringify(request.url.slice(0, 100))}`,
      new HttpError(404, "not_found", "No such route: try POST /webhooks/<name>, GET /readyz."),
    ),
  );
  await app.register(webhookRoutes, { engine, logger, metrics });
  await app.register(healthRoutes, {
    engine,
    health: options.health,
    logger,
  });
  await app.register(metricsRoutes, { metrics });

  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    metrics.close();
    throw error;
  }
  const { port } = app.server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}`;
  logger.info(`listening on ${url}`);

  return {
    url,
    port,
    metrics,
    close: async () => {
      metrics.close();
      await app.close();
    },
  };
}
