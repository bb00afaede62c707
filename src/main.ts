import { dirname, join, resolve } from "node:path";
import { runConsole } from "./adapters/console/console.js";
import { outputDelivery } from "./adapters/delivery/pump.js";
import type { DiscordAdapter } from "./adapters/discord/adapter.js";
import { startHttpServer } from "./adapters/http/server.js";
import { createLogger, secretsIn } from "./adapters/log.js";
import { logTaskFailures } from "./adapters/task-log.js";
import type { Settings } from "./config/env.js";
import { loadConfigFile } from "./config/load.js";
import type { Logger } from "./core/log.js";
import { type DatabaseOptions, openDatabase } from "./db/connection.js";
import { Engine } from "./engine/engine.js";
import { ReviewSchedule } from "./engine/review-schedule.js";
import { Scheduler } from "./engine/scheduler.js";
import { VERSION } from "./package-info.js";

/** How long running tasks may finish after SIGTERM before they are put back in the queue. */
const SHUTDOWN_GRACE_MS = 10_000;
/** Past the grace, closing the rest (HTTP, Discord, the database) gets this long, then exit 1. */
const SHUTDOWN_MARGIN_MS = 5_000;

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
function logFileFor(chosen: Interface, settings: Settings): string | undefined {
  if (chosen !== "console" || !isTty(process.stdin) || !isTty(process.stdout)) return undefined;
  return join(dataDir(settings), "steward.log");
}

/** Beside the database: the log and the console's history live with the data they concern. */
function dataDir(settings: Settings): string {
  return settings.dbPath === ":memory:" ? "data" : dirname(resolve(settings.dbPath));
}

function mainLogger(settings: Settings, file?: string): Logger {
  const onTerminal = file === undefined ? isTty(process.stderr) : isTty(process.stdout);
  return createLogger({
    level: settings.logLevel,
    format: settings.logFormat ?? (onTerminal ? "pretty" : "json"),
    file,
    secrets: secretsIn(process.env),
  });
}

/** The composition root: config → database → engine → the adapter that talks to people. */
export async function main(settings: Settings, mode: RunMode): Promise<void> {
  const config = loadConfigFile(settings.configPath);
  const chosen = chooseInterface(mode, settings);
  const logFile = logFileFor(chosen, settings);
  const logger = mainLogger(settings, logFile);
  const database = openNamed(settings.dbPath, {
    backgroundCheckpoints: { onError: (message) => logger.warn(`checkpoint failed: ${message}`) },
  });
  // Before the queue left from the last run starts, and before the doors open.
  await database.ready;
  const engine = new Engine({ config, configDir: dirname(settings.configPath), database, logger });
  logTaskFailures(engine);
  // The classifier trains in under a second: before the doors open, not on the first request.
  engine.router.warm();
  await engine.start();
  const outputs = outputDelivery(engine);
  outputs.start();
  const scheduler = new Scheduler(engine);
  await scheduler.start();
  const reviews = new ReviewSchedule(engine);
  await reviews.start();
  let chat = () => ({ ok: true, status: chosen === "discord" ? "discord starting" : chosen });
  let discord: DiscordAdapter | undefined;
  const http = await startHttpServer(engine, {
    host: config.http.host,
    port: settings.httpPort,
    logger,
    // The chat adapter starts below; until then (and with the console) this says so.
    health: () => ({ chat: chat(), scheduler: scheduler.health() }),
  }).catch(async (error: unknown) => {
    scheduler.stop();
    reviews.stop();
    await engine.stop(SHUTDOWN_GRACE_MS);
    await outputs.stop();
    database.close();
    throw portInUse(error, config.http.host, settings.httpPort) ?? error;
  });
  engine.onCheck((summary) => http.metrics.observeCheck(summary.durationMs));

  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= (async () => {
      scheduler.stop();
      reviews.stop();
      // No new webhooks while the workers wind down.
      await http.close();
      // No new interactions either; the outbox left undelivered goes out on the next start.
      await discord?.stop();
      await engine.stop(SHUTDOWN_GRACE_MS);
      await outputs.stop();
      database.close();
    })();
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping !== undefined) {
      logger.warn(`${signal} again: exiting without waiting for running tasks`);
      process.exit(1);
    }
    const started = Date.now();
    logger.info(`${signal}: shutting down`, { grace_ms: SHUTDOWN_GRACE_MS });
    setTimeout(() => {
      logger.error("shutdown did not finish in time: exiting");
      process.exit(1);
    }, SHUTDOWN_GRACE_MS + SHUTDOWN_MARGIN_MS).unref();
    shutdown().then(
      () => {
        logger.info("stopped", { after_ms: Date.now() - started });
        process.exit(0);
      },
      (error: unknown) => {
        logger.error(`shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", onSignal);
  // On a terminal the console reads Ctrl-C itself (raw mode); this is `kill -INT` and headless.
  process.once("SIGINT", onSignal);

  if (chosen === "discord" && settings.discordToken !== undefined) {
    const { startDiscord } = await import("./adapters/discord/adapter.js");
    const started = await startDiscord({
      engine,
      token: settings.discordToken,
      apiBase: settings.discordApiBase,
      logger,
    }).catch(async (error: unknown) => {
      await shutdown();
      throw error;
    });
    discord = started;
    chat = () => started.health();
  }
  logger.info("steward started", {
    version: VERSION,
    node: process.version,
    config: settings.configPath,
    database: settings.dbPath,
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
    historyFile: join(dataDir(settings), ".steward_history"),
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

/** The database file, or an error that names the setting to change. */
function openNamed(path: string, options: DatabaseOptions) {
  try {
    return openDatabase(path, options);
  } catch (error) {
    throw new Error(`STEWARD_DB: cannot open ${path} (${(error as Error).message})`);
  }
}
