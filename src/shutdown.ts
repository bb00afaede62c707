import type { Logger } from "./core/log.js";

/** How long running tasks may finish after SIGTERM before they are put back in the queue. */
export const SHUTDOWN_GRACE_MS = 10_000;
/** Past the grace, closing the rest (HTTP, Discord, the database) gets this long, then exit 1. */
const SHUTDOWN_MARGIN_MS = 5_000;

/**
 * A reason of the process's own to stop (the schema outgrown), heard perhaps before the signals
 * are wired: held until `arm` hands it the stop `exitOnSignals` returns.
 */
export class StopRequest {
  private stop: ((why: string) => void) | undefined;
  private why: string | undefined;

  readonly request = (why: string): void => {
    if (this.stop !== undefined) this.stop(why);
    else this.why ??= why;
  };

  arm(stop: (why: string) => void): void {
    this.stop = stop;
    if (this.why !== undefined) stop(this.why);
  }
}

/**
 * On SIGTERM or SIGINT: `shutdown`, then exit 0 (1 if it failed or overran the grace and its
 * margin). A second signal exits at once, without waiting for running tasks. Returns how to stop
 * the same way for a reason of the process's own (logged as an error), exiting 1: a process
 * that cannot go on, for a supervisor to see.
 */
export function exitOnSignals(
  logger: Logger,
  shutdown: () => Promise<void>,
): (why: string) => void {
  let stopping = false;
  const stop = (code: 0 | 1) => {
    stopping = true;
    const started = Date.now();
    setTimeout(() => {
      logger.error("shutdown did not finish in time: exiting");
      process.exit(1);
    }, SHUTDOWN_GRACE_MS + SHUTDOWN_MARGIN_MS).unref();
    shutdown().then(
      () => {
        logger.info("stopped", { after_ms: Date.now() - started });
        process.exit(code);
      },
      (error: unknown) => {
        logger.error(`shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting without waiting for running tasks`);
      process.exit(1);
    }
    logger.info(`${signal}: shutting down`, { grace_ms: SHUTDOWN_GRACE_MS });
    stop(0);
  };
  process.once("SIGTERM", onSignal);
  // On a terminal the console reads Ctrl-C itself (raw mode); this is `kill -INT` and headless.
  process.once("SIGINT", onSignal);
  return (why) => {
    if (stopping) return;
    logger.error(`${why}: shutting down`, { grace_ms: SHUTDOWN_GRACE_MS });
    stop(1);
  };
}
