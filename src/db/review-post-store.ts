import type { ReviewPosts } from "../review/port.js";
import type { Db } from "./connection.js";
import { reviewPosts } from "./schema.js";

/** Which months' reviews the schedule has queued, kept across restarts. */
export class ReviewPostStore implements ReviewPosts {
  constructor(private readonly db: Db) {}

  /** Records `month` as queued; false when it already was (then nothing is to be posted). */
  claim(month: string, queuedAt: number): boolean {
    const result = this.db
      .insert(reviewPosts)
      .values({ month, queuedAt })
      .onConflictDoNothing({ target: reviewPosts.month })
      .run();
    return result.changes > 0;
  }

  months(): string[] {
    return this.db
      .select({ month: reviewPosts.month })
      .from(reviewPosts)
      .orderBy(reviewPosts.month)
      .all()
      .map((row) => row.month);
  }
}
