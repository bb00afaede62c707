import type { FastifyInstance, FastifyReply } from "fastify";
import type { Logger } from "../../core/log.js";
import type { Engine } from "../../engine/engine.js";

/** One part of the process as the composition root sees it: `status` is what the probes show. */
export interface HealthPart {
  ok: boolean;
  status: string;
}

/** The parts only the composition root knows: which chat adapter runs, whether the scheduler does. */
export interface HealthParts {
  /**
   * e.g. `{ ok: true, status: "discord connected" }` or `{ ok: true, status: "console" }`.
   * Reported, never fatal: restarting Steward does not bring Discord back, and webhooks,
   * schedules and workers go on without it (the outbox keeps what it could not post).
   */
  chat: HealthPart;
  scheduler: HealthPart;
}

export interface HealthReport {
  status: "ok" | "failing";
  db: string;
  chat: string;
  scheduler: string;
  paused_workers: string[];
  /** The Steward processes on the database, as `steward status` lists them; never failing. */
  processes: {
    live: {
      host: string;
      pid: number;
      version: string;
      /** The fingerprint of the config file it runs: hosts that differ run different files. */
      config: string;
      roles: string[];
      heartbeat_ms_ago: number;
    }[];
    stale: number;
  };
  /** Parts that make the process not ready: `db`, `scheduler`. */
  failing: string[];
  /** Parts that are down without making the process unready: `chat`. */
  degraded: string[];
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs every check; a check that throws is a failing part, never a failed request. */
export async function checkHealth(
  engine: Engine,
  health: () => HealthParts | Promise<HealthParts>,
): Promise<HealthReport> {
  let db = "ok";
  try {
    await engine.checkWritable();
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
  const failing = [...(db === "ok" ? [] : ["db"]), ...(parts.scheduler.ok ? [] : ["scheduler"])];
  return {
    status: failing.length === 0 ? "ok" : "failing",
    db,
    chat: parts.chat.status,
    scheduler: parts.scheduler.status,
    // A paused worker is an incident being handled (escalated, probed), not an unhealthy process.
    paused_workers: await engine.pausedWorkers().catch(() => []),
    processes: await processesOf(engine),
    failing,
    degraded: parts.chat.ok ? [] : ["chat"],
  };
}

/** Read like the other parts: a failure to read them says so rather than failing the probe. */
async function processesOf(engine: Engine): Promise<HealthReport["processes"]> {
  try {
    const { live, stale } = await engine.status.processes();
    const now = engine.clock.now();
    return {
      live: live.map(({ host, pid, version, config, roles, heartbeatAt }) => ({
        host,
        pid,
        version,
        config,
        roles,
        heartbeat_ms_ago: now - heartbeatAt,
      })),
      stale: stale.length,
    };
  } catch {
    return { live: [], stale: 0 };
  }
}

/**
 * `GET /livez`: the process answers (a supervisor restarts it when this stops).
 * `GET /readyz` and `GET /healthz`: 200 when the database is writable and the scheduler ticks,
 * else 503 naming the failing parts; Discord's state is reported, not fatal.
 */
export async function healthRoutes(
  scope: FastifyInstance,
  options: {
    engine: Engine;
    health: () => HealthParts | Promise<HealthParts>;
    logger: Logger;
  },
): Promise<void> {
  scope.get("/livez", async () => ({ status: "ok" }));
  // Probes poll often: log when the answer changes, not on every failing probe.
  let last = "ok";
  const ready = async (_request: unknown, reply: FastifyReply) => {
    const report = await checkHealth(options.engine, options.health);
    const now = report.failing.join(", ") || "ok";
    if (now !== last) {
      if (report.status === "ok") options.logger.info("healthz: 200 ok again");
      else options.logger.warn(`healthz: 503 failing: ${now}`, { failing: report.failing });
      last = now;
    }
    return reply.code(report.status === "ok" ? 200 : 503).send(report);
  };
  scope.get("/readyz", ready);
  scope.get("/healthz", ready);
}
