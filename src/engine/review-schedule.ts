import { Cron } from "croner";
import { previousMonth } from "../review/period.js";
import type { Engine } from "./engine.js";
import { dueTicks } from "./scheduler.js";

/** Its row in `schedule_runs`: a dot, which no configured schedule's name may hold. */
const CURSOR = "review.schedule";

/**
 * Posts the previous month's review on `review.schedule`, through the outbox (the reports
 * channel, or the console). Each month is posted once: the months queued are recorded in the
 * same transaction as their outbox message, and ticks missed while Steward was down are caught
 * up on start, each for its own month. A first start counts from now: no history is posted.
 */
export class ReviewSchedule {
  private readonly cron: Cron;
  private readonly timezone: string;
  private trigger: Cron | undefined;

  constructor(
    private readonly engine: Pick<
      Engine,
      "config" | "clock" | "schedules" | "queueReviews" | "logger"
    >,
  ) {
    this.timezone = engine.config.review.timezone ?? "UTC";
    this.cron = new Cron(engine.config.review.schedule, { timezone: this.timezone, paused: true });
  }

  /** Catches up once, then wakes at each tick. Returns the months queued by the catch-up. */
  async start(): Promise<string[]> {
    const queued = await this.tick();
    this.trigger = new Cron(
      this.engine.config.review.schedule,
      { timezone: this.timezone, protect: true },
      () => void this.tickSafely(),
    );
    return queued;
  }

  stop(): void {
    this.trigger?.stop();
    this.trigger = undefined;
  }

  /** Queues the review of each month whose tick is due and not yet posted; returns them. */
  async tick(): Promise<string[]> {
    const now = this.engine.clock.now();
    const { schedules } = this.engine;
    const last = await schedules.lastFiredAt(CURSOR);
    if (last === undefined) {
      await schedules.record(CURSOR, now);
      return [];
    }
    const due = dueTicks(this.cron, last, now);
    if (due.length === 0) return [];
    const months = [...new Set(due.map((tick) => previousMonth(tick, this.timezone)))];
    return this.engine.queueReviews(months, { schedule: CURSOR, tick: due.at(-1)! });
  }

  private async tickSafely(): Promise<void> {
    try {
      const months = await this.tick();
      if (months.length > 0) this.engine.logger.info(`review of ${months.join(", ")} queued`);
    } catch (error) {
      // A failed tick (the database busy or closed) must not stop the schedule.
      this.engine.logger.error(`review schedule: ${(error as Error).message}`);
    }
  }
}
