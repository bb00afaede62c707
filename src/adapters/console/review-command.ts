import type { Settings } from "../../config/env.js";
import type { Config } from "../../config/schema.js";
import type { Clock } from "../../core/clock.js";
import { systemClock } from "../../core/clock.js";
import { withReviews } from "../../engine/open.js";
import { writeReviewChart } from "../../review/chart.js";
import { chooseReview, emptyMonthNotice } from "../../review/choose.js";
import { previousMonth } from "../../review/period.js";
import { printedReview } from "../../review/print.js";
import { reviewToJson } from "../../review/report.js";

export interface ReviewCommandOptions {
  month?: string;
  json?: boolean;
  chart?: string;
}

/**
 * `steward review`: the month (default: the last full one) as text or JSON, and its chart.
 * Without `--month`, an empty last month is said to be empty and this month is offered; a
 * script (`--json`) always gets the review it asked for.
 */
export async function reviewCommand(
  settings: Settings,
  config: Config,
  options: ReviewCommandOptions,
  clock: Clock = systemClock,
): Promise<void> {
  const timeZone = config.review.timezone ?? "UTC";
  await withReviews(settings, config, async (build) => {
    const month =
      options.month ?? (options.json ? previousMonth(clock.now(), timeZone) : undefined);
    const answer = await chooseReview(month, clock.now(), timeZone, build);
    if (answer.kind === "empty") {
      process.stdout.write(emptyMonthNotice(answer, `steward review --month ${answer.current}`));
      return;
    }
    const { review } = answer;
    if (options.json) {
      if (options.chart !== undefined) await writeReviewChart(review, options.chart);
      process.stdout.write(`${reviewToJson(review)}\n`);
      return;
    }
    const printed = await printedReview(review, options.chart);
    process.stdout.write(options.chart === undefined ? printed : `${printed}\n`);
  });
}
