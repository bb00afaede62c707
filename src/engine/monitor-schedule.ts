import { Cron } from "croner";
import { type Clock, systemClock } from "../core/clock.js";
import { silentLogger } from "../core/log.js";
import { type CheckerDeps, type CheckSummary, runChecks } from "../monitor/checker.js";
import { StayHistory } from "../monitor/history.js";

/** What the checker reads and writes (its history is the schedule's own), and when it runs. */
export interface MonitorOptions extends Omit<CheckerDeps, "history"> {
  clock?: Clock;
  /** Told after every run, scheduled or on demand (metrics, the console). */
  onRun?: (summary: CheckSummary) => void;
}

export interface MonitorSchedule {
  /** Runs the checker now (a `/status` refresh, tests); errors reach the caller. */
  runNow(): Promise<CheckSummary>;
  /** When the next scheduled run is due, or null once stopped. */
  nextRun(): Date | null;
  stop(): void;
}

/**
 * Runs the status checker on `monitor.every`. The median history lives as long as the schedule,
 * so a steady run reads only what changed since the last one.
 */
export function startMonitor(options: MonitorOptions): MonitorSchedule {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const history = new StayHistory({ ...options.settings?.history });
  const deps: CheckerDeps = { ...options, history, logger };

  const runNow = async (): Promise<CheckSummary> => {
    const summary = await runChecks(deps, clock.now());
    options.onRun?.(summary);
    return summary;
  };

  // `protect` skips a tick while a run is in progress.
  const job = new Cron(options.config.monitor.every, { protect: true }, async () => {
    try {
      await runNow();
    } catch (error) {
      // A failed run (the database busy or closed) must not stop the schedule.
      logger.error(
        `status check failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  });

  return {
    runNow,
    nextRun: () => job.nextRun(),
    stop: () => job.stop(),
  };
}
