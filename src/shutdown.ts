import type { Logger } from "./core/log.js";

/** How long running tasks may finish after SIGTERM before they are put back in the queue. */
export const SHUTDOWN_GRACE_MS = 10_000;
/** Past the grace, closing the rest (HTTP, Discord, the database) gets this long, then exit 1. */
const SHUTDOWN_MARGIN_MS = 5_000;

/**
 * On SIGTERM or SIGINT: `shutdown`, then exit 0 (1 if it failed or overran the grace and its
 * margin). A second signal exits at once, without waiting for running tasks.
 */
export function exitOnSignals(logger: Logger, shutdown: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting without waiting for running tasks`);
      process.exit(1);
    }
    stopping = true;
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
}
