import { dirname } from "node:path";
import { runConsole } from "./adapters/console/console.js";
import { outputDelivery } from "./adapters/delivery/pump.js";
import { startHttpServer } from "./adapters/http/server.js";
import { stderrLogger } from "./adapters/log.js";
import type { Settings } from "./config/env.js";
import { loadConfigFile } from "./config/load.js";
import { openDatabase } from "./db/connection.js";
import { Engine } from "./engine/engine.js";
import { Scheduler } from "./engine/scheduler.js";

/** How long running tasks may finish after SIGTERM before they are put back in the queue. */
const SHUTDOWN_GRACE_MS = 10_000;

/** The composition root: config → database → engine → the adapter that talks to people. */
export async function main(settings: Settings, mode: "auto" | "console"): Promise<void> {
  const config = loadConfigFile(settings.configPath);
  const database = openDatabase(settings.dbPath);
  const logger = stderrLogger();
  const engine = new Engine({ config, configDir: dirname(settings.configPath), database, logger });
  engine.start();
  const outputs = outputDelivery(engine);
  outputs.start();
  const scheduler = new Scheduler(engine, database);
  scheduler.start();
  const http = await startHttpServer(engine, {
    host: config.http.host,
    port: settings.httpPort,
    logger,
    database,
    // Only the console runs so far (Discord throws below); the scheduler started above.
    health: () => ({
      chat: { ok: true, status: "console" },
      scheduler: { ok: true, status: "ok" },
    }),
  });

  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= (async () => {
      scheduler.stop();
      // No new webhooks while the workers wind down.
      await http.close();
      await engine.stop(SHUTDOWN_GRACE_MS);
      await outputs.stop();
      database.close();
    })();
    return stopping;
  };
  process.once("SIGTERM", () => void shutdown().then(() => process.exit(0)));

  if (mode === "auto" && settings.discordToken !== undefined) {
    throw new Error("the Discord adapter is not built yet: unset DISCORD_TOKEN to use the console");
  }
  await runConsole(engine, { input: process.stdin, output: process.stdout, db: database.db });
  await shutdown();
}
