import { sql } from "drizzle-orm";
import type { ReviewPosts } from "../../review/port.js";
import { reviewPosts } from "./schema.js";
import type { Transactions } from "./transactions.js";

/** Which months' reviews the schedule has queued, on PostgreSQL. */
export class PgReviewPostStore implements ReviewPosts<"async"> {
  constructor(private readonly transactions: Transactions) {}

  async claim(month: string, queuedAt: number): Promise<boolean> {
    const added = await this.transactions.db
      .insert(reviewPosts)
      .values({ month, queuedAt })
      .onConflictDoNothing({ target: reviewPosts.month })
      .returning({ month: reviewPosts.month });
    return added.length > 0;
  }

  /** Ordered byte by byte (COLLATE "C"), as SQLite orders text. */
  async months(): Promise<string[]> {
    const rows = await this.transactions.db
      .select({ month: reviewPosts.month })
      .from(reviewPosts)
      .orderBy(sql`${reviewPosts.month} COLLATE "C"`);
    return rows.map((row) => row.month);
  }
}
