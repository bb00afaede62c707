import { dirname } from "node:path";
import { databaseWarnings, warnOfClockOffset } from "./adapters/log.js";
import { logTaskFailures } from "./adapters/task-log.js";
import { locateStore, type Settings } from "./config/env.js";
import { loadConfigFile } from "./config/load.js";
import { systemClock } from "./core/clock.js";
import { noRole } from "./core/roles.js";
import { openStore } from "./db/open-store.js";
import { Engine } from "./engine/engine.js";
import { mainLogger } from "./main.js";
import { VERSION } from "./package-info.js";
import { exitOnSignals, SHUTDOWN_GRACE_MS, StopRequest } from "./shutdown.js";

export interface WorkerOptions {
  /** Only these categories' tasks (each must be in the config); every category by default. */
  categories?: readonly string[];
  /** At most this many tasks at once in this process. */
  concurrency?: number;
}

/**
 * `steward worker`: claims and runs tasks from a PostgreSQL database that `steward serve` shares,
 * woken when work is queued (LISTEN/NOTIFY). It holds no role: no HTTP, Discord, schedules or
 * delivery; what its tasks tell people goes through the outbox to whichever process delivers.
 */
export async function runWorker(settings: Settings, options: WorkerOptions): Promise<void> {
  const config = loadConfigFile(settings.configPath);
  const where = locateStore(settings, config);
  if (where.kind !== "postgres") {
    throw new Error(
      "steward worker works a PostgreSQL database shared with `steward serve`: set STEWARD_DB=postgres://… (with a SQLite file, `steward serve` runs the workers itself)",
    );
  }
  const logger = mainLogger(settings);
  const warnings = databaseWarnings(logger);
  const opened = await openStore(where, systemClock, {
    onConnectionError: warnings.connection,
    time: "server",
  });
  warnOfClockOffset(logger, opened.clockOffsetMs);
  let engine: Engine;
  try {
    engine = new Engine({
      config,
      configDir: dirname(settings.configPath),
      store: opened,
      logger,
      workers: options,
    });
  } catch (error) {
    await opened.store.close();
    throw error;
  }
  logTaskFailures(engine);
  await engine.start({ roles: noRole() });
  // A schema outgrown (another host upgraded) stops this process, once its signals are wired.
  const outgrown = new StopRequest();
  const wakeups = await opened.coordination!.listen(
    (category) => engine.pool.wake(category),
    warnings.wakeups,
    (error) => outgrown.request(error.message),
  );
  outgrown.arm(
    exitOnSignals(logger, async () => {
      await wakeups.close();
      await engine.stop(SHUTDOWN_GRACE_MS);
      await opened.store.close();
    }),
  );
  logger.info("worker started", {
    version: VERSION,
    database: opened.description,
    categories: engine.pool.categories,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  });
}
