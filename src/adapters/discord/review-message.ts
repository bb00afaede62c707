import { AttachmentBuilder, type BaseMessageOptions } from "discord.js";
import type { Config } from "../../config/schema.js";
import type { OpenDatabase } from "../../db/connection.js";
import { parseMonth, previousMonth } from "../../review/period.js";
import { Refusal } from "./respond.js";
import { defuse, LIMITS, NO_PINGS } from "./safety.js";

/** `2024-05`, or the last full month when none is given; a malformed month is refused. */
export function reviewMonth(config: Config, now: number, month: string | null): string {
  if (month === null) return previousMonth(now, config.review.timezone ?? "UTC");
  try {
    parseMonth(month);
  } catch (error) {
    throw new Refusal(error instanceof Error ? error.message : String(error));
  }
  return month.trim();
}

/** The report's first lines that clip in a message, cut between lines, never mid-line. */
function leadingLines(text: string, max: number): { shown: string; complete: boolean } {
  if (text.length <= max) return { shown: text, complete: true };
  const lines = text.split("\n");
  let shown = "";
  for (const line of lines) {
    if (shown.length + line.length + 1 > max) break;
    shown += `${line}\n`;
  }
  return { shown: shown.trimEnd(), complete: false };
}

/**
 * The monthly review as one message: the report as a code block (the whole of it as a file
 * when it does not fit) and the chart as a PNG.
 */
export async function reviewMessage(
  config: Config,
  database: Pick<OpenDatabase, "sqlite">,
  month: string,
): Promise<BaseMessageOptions> {
  // Loaded on first use: the chart's libraries take seconds to import and few runs need them.
  const [{ createReviewQueries }, { renderReviewChart }, { buildReview, renderReviewText }] =
    await Promise.all([
      import("../../db/review-queries.js"),
      import("../../review/chart.js"),
      import("../../review/report.js"),
    ]);
  const review = buildReview(createReviewQueries(database.sqlite), config, month);
  const text = renderReviewText(review);
  const chart = await renderReviewChart(review);
  const note = "\n*(the whole report is attached)*";
  const fence = (body: string) => `\`\`\`\n${body.replace(/```/g, "`\u200b``")}\n\`\`\``;
  const { shown, complete } = leadingLines(text, LIMITS.content - 60 - note.length);
  const files = [new AttachmentBuilder(chart, { name: `steward-review-${month}.png` })];
  if (!complete) {
    files.push(
      new AttachmentBuilder(Buffer.from(text, "utf8"), { name: `steward-review-${month}.txt` }),
    );
  }
  return {
    content: defuse(`${fence(shown)}${complete ? "" : note}`),
    files,
    allowedMentions: NO_PINGS,
  };
}
