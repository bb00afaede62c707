import { dirname, join } from "node:path";
import { runConsole } from "./adapters/console/console.js";
import { outputDelivery } from "./adapters/delivery/pump.js";
import type { DiscordAdapter } from "./adapters/discord/adapter.js";
import { startHttpServer } from "./adapters/http/server.js";
import { createLogger, databaseWarnings, secretsIn, warnOfClockOffset } from "./adapters/log.js";
import { logTaskFailures } from "./adapters/task-log.js";
import { locateStore, type Settings, type StoreLocation } from "./config/env.js";
import { loadConfigFile } from "./config/load.js";
import { systemClock } from "./core/clock.js";
import type { Logger } from "./core/log.js";
import { everyRole } from "./core/roles.js";
import { dataDirOf, openStore } from "./db/open-store.js";
import { ownSqliteFile } from "./db/sqlite-owner.js";
import { Engine } from "./engine/engine.js";
import { ReviewSchedule } from "./engine/review-schedule.js";
import { RoleJob } from "./engine/role-job.js";
import { Scheduler } from "./engine/scheduler.js";
import { VERSION } from "./package-info.js";
import { exitOnSignals, SHUTDOWN_GRACE_MS, StopRequest } from "./shutdown.js";

/**
 * `start`: Discord with a token, else the console on a terminal, else headless (systemd, a
 * container without `-i`: stdin is not a person). `console`: always the console. `serve`:
 * never the console.
 */
export type RunMode = "auto" | "console" | "serve";
type Interface = "discord" | "console" | "headless";

function isTty(stream: NodeJS.ReadableStream | NodeJS.WritableStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

function chooseInterface(mode: RunMode, settings: Settings): Interface {
  if (mode === "console") return "console";
  if (settings.discordToken !== undefined) return "discord";
  return mode === "auto" && isTty(process.stdin) ? "console" : "headless";
}

/**
 * On a terminal the console owns the screen: log lines would break into the line being
 * typed, so they go to a file beside the database (the console says where).
 */
function logFileFor(chosen: Interface, where: StoreLocation): string | undefined {
  if (chosen !== "console" || !isTty(process.stdin) || !isTty(process.stdout)) return undefined;
  return join(dataDirOf(where), "steward.log");
}

/** The process's logger: pretty on a terminal, JSON lines otherwise, secrets masked. */
export function mainLogger(settings: Settings, file?: string): Logger {
  const onTerminal = file === undefined ? isTty(process.stderr) : isTty(process.stdout);
  return createLogger({
    level: settings.logLevel,
    format: settings.logFormat ?? (onTerminal ? "pretty" : "json"),
    file,
    secrets: secretsIn(process.env),
  });
}

/**
 * The composition root: config → store → engine → the adapters that talk to people. On a
 * shared PostgreSQL database the singleton jobs (the schedules, delivery, the Discord
 * connection; the engine's checker and batcher) run only while this process holds their role.
 */
export async function main(settings: Settings, mode: RunMode): Promise<void> {
  const config = loadConfigFile(settings.configPath);
  const where = locateStore(settings, config);
  const chosen = chooseInterface(mode, settings);
  const logFile = logFileFor(chosen, where);
  const logger = mainLogger(settings, logFile);
  const warnings = databaseWarnings(logger);
  // One Steward per SQLite file, held before anything in it is opened or recovered.
  const owner =
    where.kind === "sqlite" && where.path !== ":memory:" ? ownSqliteFile(where.path) : undefined;
  // Before the queue left from the last run starts, and before the doors open.
  const opened = await openStore(where, systemClock, {
    sqlite: {
      backgroundCheckpoints: { onError: (message) => logger.warn(`checkpoint failed: ${message}`) },
    },
    onConnectionError: warnings.connection,
    time: "server",
  });
  warnOfClockOffset(logger, opened.clockOffsetMs);
  const engine = new Engine({
    config,
    configDir: dirname(settings.configPath),
    store: opened,
    logger,
  });
  logTaskFailures(engine);
  // The classifier trains (seconds, on the default corpus) before the doors open, not on the
  // first request.
  engine.router.warm();
  await engine.start({
    roles: opened.coordination?.roles(warnings.roles) ?? everyRole(),
  });
  const { roles } = engine;
  // A schema outgrown (another host upgraded) stops this process, once its signals are wired.
  const outgrown = new StopRequest();
  const wakeups = await opened.coordination?.listen(
    (category) => engine.pool.wake(category),
    warnings.wakeups,
    (error) => outgrown.request(error.message),
  );

  const outputs = outputDelivery(engine);
  const scheduler = new Scheduler(engine);
  const reviews = new ReviewSchedule(engine);
  const schedules = new RoleJob(
    "scheduler",
    {
      start: async () => {
        await scheduler.start();
        await reviews.start();
      },
      stop: () => {
        scheduler.stop();
        reviews.stop();
      },
    },
    logger,
  );
  const delivery = new RoleJob("delivery", outputs, logger);
  let discord: DiscordAdapter | undefined;
  const gateway = new RoleJob(
    "gateway",
    {
      start: async () => {
        if (chosen !== "discord" || settings.discordToken === undefined) return;
        const { startDiscord } = await import("./adapters/discord/adapter.js");
        discord = await startDiscord({
          engine,
          token: settings.discordToken,
          apiBase: settings.discordApiBase,
          logger,
        });
      },
      stop: async () => {
        // No new interactions; the outbox left undelivered goes out with the next holder.
        await discord?.stop();
        discord = undefined;
      },
    },
    logger,
  );
  for (const job of [schedules, delivery]) job.holdWith(roles);
  // On SQLite the roles are held at once: a schedule that cannot start stops Steward here.
  if (!roles.shared) await schedules.started();

  const elsewhere = { ok: true, status: "held by another process" };
  /** Until Discord runs here: the console or headless, Discord starting, or another's. */
  const chatBeforeDiscord = () => {
    if (chosen !== "discord") return { ok: true, status: chosen };
    return roles.held().has("gateway") ? { ok: true, status: "discord starting" } : elsewhere;
  };
  const http = await startHttpServer(engine, {
    host: config.http.host,
    port: settings.httpPort,
    logger,
    health: () => ({
      chat: discord?.health() ?? chatBeforeDiscord(),
      scheduler: schedules.active || !roles.shared ? scheduler.health() : elsewhere,
    }),
  }).catch(async (error: unknown) => {
    await closeAll();
    throw portInUse(error, config.http.host, settings.httpPort) ?? error;
  });
  engine.onCheck((summary) => http.metrics.observeCheck(summary.durationMs));

  async function closeAll(): Promise<void> {
    await schedules.close();
    await gateway.close();
    await engine.stop(SHUTDOWN_GRACE_MS);
    await delivery.close();
    await wakeups?.close();
    // Last: another process may take the roles once their jobs have stopped here.
    await roles.close();
    await opened.store.close();
    owner?.release();
  }
  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= (async () => {
      await schedules.close();
      // No new webhooks while the workers wind down.
      await http.close();
      await closeAll();
    })();
    return stopping;
  };
  outgrown.arm(exitOnSignals(logger, shutdown));

  gateway.holdWith(roles);
  if (!roles.shared) {
    // One process: a Discord that cannot start (a wrong token) stops Steward with its error.
    await gateway.started()?.catch(async (error: unknown) => {
      await shutdown();
      throw error;
    });
  }
  logger.info("steward started", {
    version: VERSION,
    node: process.version,
    config: settings.configPath,
    database: opened.description,
    interface: chosen,
    http: http.url,
    ...(logFile === undefined ? {} : { log: logFile }),
  });
  if (chosen === "headless" && mode === "auto") {
    logger.info("stdin is not a terminal: serving without the console until SIGTERM");
  }
  if (chosen !== "console") return;
  await runConsole(engine, {
    input: process.stdin,
    output: process.stdout,
    outputs,
    logFile,
    historyFile: join(opened.dataDir, ".steward_history"),
  });
  await shutdown();
  logger.info("stopped: the console ended");
}

/** Another process (often a second Steward) holds the port: say which setting moves it. */
function portInUse(error: unknown, host: string, port: number): Error | undefined {
  if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") return undefined;
  return new Error(
    `${host}:${port} is already in use (is another Steward running?); set STEWARD_HTTP_PORT to a free port, or to 0 to pick one`,
  );
}
