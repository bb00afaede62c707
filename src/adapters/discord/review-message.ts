import { AttachmentBuilder, type BaseMessageOptions } from "discord.js";
import { formatEscalationId } from "../../core/states.js";
import { emptyMonthNotice, type ReviewAnswer } from "../../review/choose.js";
import { parseMonth } from "../../review/period.js";
import type { Review } from "../../review/report.js";
import type { DiscordContext } from "./context.js";
import { Refusal } from "./respond.js";
import { defuse, LIMITS, NO_PINGS } from "./safety.js";

/** The month typed in `/review`, checked; none typed is none (the engine picks the default). */
export function reviewMonth(month: string | null): string | undefined {
  if (month === null) return undefined;
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

type Context = Pick<DiscordContext, "engine" | "refs">;

/** What `/review` answers: the review, or that the month is empty and which to ask for. */
export async function reviewAnswerMessage(
  ctx: Context,
  answer: ReviewAnswer,
): Promise<BaseMessageOptions> {
  if (answer.kind === "review") return reviewMessage(ctx, answer.review);
  return {
    content: emptyMonthNotice(answer, `\`/review month:${answer.current}\``),
    allowedMentions: NO_PINGS,
  };
}

/**
 * The monthly review as one message: the report as a code block (the whole of it as a file
 * when it does not fit), links to the listed escalations' threads, and the chart as a PNG.
 */
export async function reviewMessage(ctx: Context, review: Review): Promise<BaseMessageOptions> {
  // Loaded on first use: the chart's libraries take seconds to import and few runs need them.
  const [{ renderReviewChart, noChartNote }, { renderReviewText }] = await Promise.all([
    import("../../review/chart.js"),
    import("../../review/text.js"),
  ]);
  const { month } = review;
  const text = renderReviewText(review);
  const chart = await renderReviewChart(review);
  const links = await threadLinks(ctx, review);
  const note = "\n*(the whole report is attached)*";
  const tail = `${chart === undefined ? `\n${noChartNote(review)}` : ""}${links}`;
  const fence = (body: string) => `\`\`\`\n${body.replace(/```/g, "`\u200b``")}\n\`\`\``;
  const room = LIMITS.content - 60 - note.length - tail.length;
  const { shown, complete } = leadingLines(text, room);
  const files: AttachmentBuilder[] = [];
  if (chart !== undefined) {
    files.push(new AttachmentBuilder(chart, { name: `steward-review-${month}.png` }));
  }
  if (!complete) {
    files.push(
      new AttachmentBuilder(Buffer.from(text, "utf8"), { name: `steward-review-${month}.txt` }),
    );
  }
  return {
    content: defuse(`${fence(shown)}${complete ? "" : note}${tail}`),
    files,
    allowedMentions: NO_PINGS,
  };
}

/** Most links put under the report; a code block cannot hold a link that works. */
const MAX_LINKS = 15;

/** `Threads: [E-3](<…>) · [E-7](<…>)` for the listed escalations Steward posted here. */
async function threadLinks(ctx: Context, review: Review): Promise<string> {
  const guild = ctx.engine.config.discord.guild;
  if (guild === "") return "";
  const links: string[] = [];
  for (const item of review.escalations.items) {
    if (links.length === MAX_LINKS) break;
    const ref = await ctx.refs.escalation(item.escalationId);
    if (ref === undefined) continue;
    const where = ref.threadId ?? `${ref.channelId}/${ref.messageId}`;
    const url = `https://discord.com/channels/${guild}/${where}`;
    links.push(`[${formatEscalationId(item.escalationId)}](<${url}>)`);
  }
  return links.length === 0 ? "" : `\nThreads: ${links.join(" · ")}`;
}
