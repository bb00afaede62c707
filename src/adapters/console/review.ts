import { join } from "node:path";
import type { Engine } from "../../engine/engine.js";
import { emptyMonthNotice, type ReviewAnswer } from "../../review/choose.js";
import { printedReview } from "../../review/print.js";
import type { Review } from "../../review/report.js";

/** `review [--month YYYY-MM]`: the review's text and where its chart was written. */
export async function reviewAnswerText(engine: Engine, answer: ReviewAnswer): Promise<string> {
  if (answer.kind === "empty") return emptyMonthNotice(answer, `review --month ${answer.current}`);
  return reviewText(engine, answer.review);
}

/** The report as the console prints it: the text, then the chart's file (beside the database). */
export function reviewText(engine: Engine, review: Review): Promise<string> {
  return printedReview(review, join(chartDir(engine), `steward-review-${review.month}.png`));
}

/** `data/reviews/` beside `data/steward.db`. */
function chartDir(engine: Engine): string {
  return join(engine.dataDir, "reviews");
}
