import type { Review } from "./report.js";

/**
 * The review as the command line and the console print it: the text, then the line that says
 * where its chart was written, or why there is none (only when `chartFile` is given).
 */
export async function printedReview(review: Review, chartFile?: string): Promise<string> {
  const { renderReviewText } = await import("./text.js");
  const text = renderReviewText(review);
  if (chartFile === undefined) return text;
  // Loaded on first use: the chart's libraries take seconds to import.
  const { writeReviewChart } = await import("./chart.js");
  return `${text}${await writeReviewChart(review, chartFile)}`;
}
