import { eq } from "drizzle-orm";
import type { ScheduleRuns } from "../../core/schedule-runs.js";
import { scheduleRuns } from "./schema.js";
import type { Transactions } from "./transactions.js";

/** When each schedule last fired, on PostgreSQL. */
export class PgScheduleStore implements ScheduleRuns<"async"> {
  constructor(private readonly transactions: Transactions) {}

  async lastFiredAt(name: string): Promise<number | undefined> {
    const [row] = await this.transactions.db
      .select()
      .from(scheduleRuns)
      .where(eq(scheduleRuns.name, name));
    return row?.lastFiredAt;
  }

  async record(name: string, firedAt: number): Promise<void> {
    await this.transactions.db
      .insert(scheduleRuns)
      .values({ name, lastFiredAt: firedAt })
      .onConflictDoUpdate({ target: scheduleRuns.name, set: { lastFiredAt: firedAt } });
  }
}
