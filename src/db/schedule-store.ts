import { eq } from "drizzle-orm";
import type { ScheduleRuns } from "../core/schedule-runs.js";
import type { Db } from "./connection.js";
import { scheduleRuns } from "./schema.js";

/** When each schedule last fired, kept across restarts. */
export class ScheduleStore implements ScheduleRuns {
  constructor(private readonly db: Db) {}

  lastFiredAt(name: string): number | undefined {
    return this.db.select().from(scheduleRuns).where(eq(scheduleRuns.name, name)).get()
      ?.lastFiredAt;
  }

  record(name: string, firedAt: number): void {
    this.db
      .insert(scheduleRuns)
      .values({ name, lastFiredAt: firedAt })
      .onConflictDoUpdate({ target: scheduleRuns.name, set: { lastFiredAt: firedAt } })
      .run();
  }
}
