import { dirname } from "node:path";
import { runConsole } from "./adapters/console/console.js";
import { outputDelivery } from "./adapters/delivery/pump.js";
import type { DiscordAdapter } from "./adapters/discord/adapter.js";
import { startHttpServer } from "./adapters/http/server.js";
import { stderrLogger } from "./adapters/log.js";
import type { Settings } from "./config/env.js";
import { loadConfigFile } from "./config/load.js";
import { type DatabaseOptions, openDatabase } from "./db/connection.js";
import { Engine } from "./engine/engine.js";
import { ReviewSchedule } from "./engine/review-schedule.js";
import { Scheduler } from "./engine/scheduler.js";

/** How long running tasks may finish after SIGTERM before they are put back in the queue. */
const SHUTDOWN_GRACE_MS = 10_000;

/** The composition root: config → database → engine → the adapter that talks to people. */
export async function main(settings: Settings, mode: "auto" | "console"): Promise<void> {
  const config = loadConfigFile(settings.configPath);
  const logger = stderrLogger();
  const database = openNamed(settings.dbPath, {
    backgroundCheckpoints: { onError: (message) => logger.warn(`checkpoint failed: ${message}`) },
  });
  // Before the queue left from the last run starts, and before the doors open.
  await database.ready;
  const engine = new Engine({ config, configDir: dirname(settings.configPath), database, logger });
  engine.start();
  const outputs = outputDelivery(engine);
  outputs.start();
  const scheduler = new Scheduler(engine, database);
  scheduler.start();
  const reviews = new ReviewSchedule(engine, database);
  reviews.start();
  const discordMode = mode === "auto" && settings.discordToken !== undefined;
  let chat = () => ({ ok: true, status: discordMode ? "discord starting" : "console" });
  let discord: DiscordAdapter | undefined;
  const http = await startHttpServer(engine, {
    host: config.http.host,
    port: settings.httpPort,
    logger,
    database,
    // The chat adapter starts below; until then (and with the console) this says so.
    health: () => ({ chat: chat(), scheduler: { ok: true, status: "ok" } }),
  }).catch(async (error: unknown) => {
    scheduler.stop();
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
  process.once("SIGTERM", () => void shutdown().then(() => process.exit(0)));

  if (discordMode && settings.discordToken !== undefined) {
    const { startDiscord } = await import("./adapters/discord/adapter.js");
    const started = await startDiscord({
      engine,
      database,
      token: settings.discordToken,
      apiBase: settings.discordApiBase,
      logger,
    }).catch(async (error: unknown) => {
      await shutdown();
      throw error;
    });
    discord = started;
    chat = () => started.health();
    process.once("SIGINT", () => void shutdown().then(() => process.exit(0)));
    return;
  }
  await runConsole(engine, {
    input: process.stdin,
    output: process.stdout,
    db: database.db,
    outputs,
  });
  await shutdown();
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
