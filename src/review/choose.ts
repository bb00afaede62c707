import { currentMonth, parseMonth, previousMonth } from "./period.js";
import type { Review } from "./report.js";

/** What a review request gets: the review, or a month with nothing in it and what to ask instead. */
export type ReviewAnswer =
  | { kind: "review"; review: Review }
  | { kind: "empty"; month: string; current: string };

/**
 * The review asked for. Without a month it is the last full one, unless nothing happened in it
 * (a first run, say): a blank report tells nobody anything, so that is said and this month,
 * which has the work, is offered instead. A month asked for by name is always reviewed.
 */
export async function chooseReview(
  month: string | undefined,
  now: number,
  timeZone: string,
  build: (month: string) => Promise<Review>,
): Promise<ReviewAnswer> {
  if (month !== undefined) {
    parseMonth(month);
    return { kind: "review", review: await build(month.trim()) };
  }
  const review = await build(previousMonth(now, timeZone));
  if (!isEmptyReview(review)) return { kind: "review", review };
  return { kind: "empty", month: review.month, current: currentMonth(now, timeZone) };
}

/** Nothing was created, escalated, flagged or decided in the month. */
export function isEmptyReview(review: Review): boolean {
  return (
    review.volume.created === 0 &&
    review.escalations.escalations === 0 &&
    review.anomalies.fired === 0 &&
    review.interventions.total === 0
  );
}

/** The notice for an empty month; `ask` is how this interface asks for another month. */
export function emptyMonthNotice(answer: { month: string; current: string }, ask: string): string {
  return (
    `Nothing to review in ${answer.month}: no task was created, escalated or flagged in it.\n` +
    `This month so far: ${ask}\n`
  );
}
