import type { FastifyInstance } from "fastify";
import type { Logger } from "../../core/log.js";
import type { OpenDatabase } from "../../db/connection.js";
import type { Engine } from "../../engine/engine.js";

/** One part of the process as the composition root sees it: `status` is what /healthz shows. */
export interface HealthPart {
  ok: boolean;
  status: string;
}

/** The parts only the composition root knows: which chat adapter runs, whether the scheduler does. */
export interface HealthParts {
  /** e.g. `{ ok: true, status: "discord connected" }` or `{ ok: true, status: "console" }`. */
  chat: HealthPart;
  scheduler: HealthPart;
}

export interface HealthReport {
  status: "ok" | "failing";
  db: string;
  chat: string;
  scheduler: string;
  paused_workers: string[];
  failing: string[];
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs every check; a check that throws is a failing part, never a failed request. */
export async function checkHealth(
  engine: Engine,
  database: Pick<OpenDatabase, "sqlite">,
  health: () => HealthParts | Promise<HealthParts>,
): Promise<HealthReport> {
  let db = "ok";
  try {
    database.sqlite.prepare("SELECT 1").get();
  } catch (error) {
    db = `error: ${message(error)}`;
  }
  let parts: HealthParts;
  try {
    parts = await health();
  } catch (error) {
    const failed = { ok: false, status: `error: ${message(error)}` };
    parts = { chat: failed, scheduler: failed };
  }
  const failing = [
    ...(db === "ok" ? [] : ["db"]),
    ...(parts.chat.ok ? [] : ["chat"]),
    ...(parts.scheduler.ok ? [] : ["scheduler"]),
  ];
  return {
    status: failing.length === 0 ? "ok" : "failing",
    db,
    chat: parts.chat.status,
    scheduler: parts.scheduler.status,
    // A paused worker is an incident being handled (escalated, probed), not an unhealthy process.
    paused_workers: Object.keys(engine.config.workers).filter((name) => engine.pool.isPaused(name)),
    failing,
  };
}

/** `GET /healthz`: 200 when every part is ok, 503 naming the failing parts otherwise. */
export async function healthRoutes(
  scope: FastifyInstance,
  options: {
    engine: Engine;
    database: Pick<OpenDatabase, "sqlite">;
    health: () => HealthParts | Promise<HealthParts>;
    logger: Logger;
  },
): Promise<void> {
  // Probes poll often: log when the answer changes, not on every failing probe.
  let last = "ok";
  scope.get("/healthz", async (_request, reply) => {
    const report = await checkHealth(options.engine, options.database, options.health);
    const now = report.failing.join(", ") || "ok";
    if (now !== last) {
      if (report.status === "ok") options.logger.info("healthz: 200 ok again");
      else options.logger.warn(`healthz: 503 failing: ${now}`, { failing: report.failing });
      last = now;
    }
    return reply.code(report.status === "ok" ? 200 : 503).send(report);
  });
}
