import { writeFileSync } from "node:fs";
import type { Settings } from "../config/env.js";
import type { Config } from "../config/schema.js";
import type { Clock } from "../core/clock.js";
import { systemClock } from "../core/clock.js";
import { openDatabase } from "../db/connection.js";
import { createReviewQueries } from "../db/review-queries.js";
import { renderReviewChart } from "./chart.js";
import { parseMonth, previousMonth } from "./period.js";
import { buildReview, renderReviewText, reviewToJson } from "./report.js";

export interface ReviewCommandOptions {
  month?: string;
  json?: boolean;
  chart?: string;
}

/** `steward review`: the month (default: the last full one) as text or JSON, and its chart. */
export async function reviewCommand(
  settings: Settings,
  config: Config,
  options: ReviewCommandOptions,
  clock: Clock = systemClock,
): Promise<void> {
  const month = options.month ?? previousMonth(clock.now(), config.review.timezone ?? "UTC");
  parseMonth(month);
  const database = openDatabase(settings.dbPath);
  try {
    const review = buildReview(createReviewQueries(database.sqlite), config, month);
    if (options.chart !== undefined) writeFileSync(options.chart, await renderReviewChart(review));
    process.stdout.write(options.json ? `${reviewToJson(review)}\n` : renderReviewText(review));
    if (options.chart !== undefined && !options.json) console.log(`chart: ${options.chart}`);
  } finally {
    database.close();
  }
}
