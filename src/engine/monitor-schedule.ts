import { Cron } from "croner";
import type { Config } from "../config/schema.js";
import { type Clock, systemClock } from "../core/clock.js";
import { type Logger, silentLogger } from "../core/log.js";
import type { Outbox } from "../core/outbox.js";
import type { OpenDatabase } from "../db/connection.js";
import { MonitorQueries } from "../db/monitor-queries.js";
import { type CheckerSettings, type CheckSummary, runChecks } from "../monitor/checker.js";
import { StayHistory } from "../monitor/history.js";

export interface MonitorOptions {
  config: Config;
  database: Pick<OpenDatabase, "sqlite">;
  /** Must write through the same connection as `database`. */
  outbox: Outbox;
  clock?: Clock;
  logger?: Logger;
  settings?: Partial<CheckerSettings>;
  /** Told after every run, scheduled or on demand (metrics, the console). */
  onRun?: (summary: CheckSummary) => void;
  /** Most rows one read returns (see MonitorQueries). */
  maxRows?: number;
}

export interface MonitorSchedule {
  /** Runs the checker now (a `/status` refresh, tests); errors reach the caller. */
  runNow(): CheckSummary;
  /** When the next scheduled run is due, or null once stopped. */
  nextRun(): Date | null;
  stop(): void;
}

/**
 * Runs the status checker on `monitor.every`. Prepared statements and the median history live
 * as long as the schedule, so a steady run reads only what changed since the last one.
 */
export function startMonitor(options: MonitorOptions): MonitorSchedule {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const queries = new MonitorQueries(options.database.sqlite, options.maxRows);
  const history = new StayHistory({ ...options.settings?.history });
  const deps = {
    config: options.config,
    queries,
    outbox: options.outbox,
    history,
    logger,
    settings: options.settings,
  };

  const runNow = (): CheckSummary => {
    const summary = runChecks(deps, clock.now());
    options.onRun?.(summary);
    return summary;
  };

  // `protect` skips a tick while a run is in progress; a run is synchronous today, so this only
  // matters if the checker ever awaits.
  const job = new Cron(options.config.monitor.every, { protect: true }, () => {
    try {
      runNow();
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
