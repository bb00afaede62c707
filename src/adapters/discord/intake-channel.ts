import type { Message } from "discord.js";
import { isStewardError } from "../../core/errors.js";
import { formatTaskId } from "../../core/states.js";
import type { DiscordContext } from "./context.js";
import { NO_PINGS } from "./safety.js";
import { cardUnderMessage } from "./task-posts.js";

/** Where messages in an intake channel come from; a category's `match.sources` may name it. */
export const INTAKE_SOURCE = "discord:intake";

/**
 * A message in a configured intake channel becomes a task (its attachments' URLs as inputs);
 * the card is posted in a thread started from the message. The message id is the dedupe key,
 * so a replayed gateway event files nothing new.
 */
export function createIntakeListener(ctx: DiscordContext): (message: Message) => Promise<void> {
  const channels = new Set(ctx.engine.config.discord.channels.intake);
  return async (message) => {
    if (message.author.bot || message.system || message.webhookId !== null) return;
    if (!channels.has(message.channelId)) return;
    try {
      const result = await ctx.engine.submit({
        source: INTAKE_SOURCE,
        requester: message.author.id,
        text: message.content,
        attachments: [...message.attachments.values()].map((attachment) => attachment.url),
        sourceRef: {
          guild: message.guildId ?? "",
          channel: message.channelId,
          message: message.id,
        },
        dedupeKey: message.id,
      });
      if (result.duplicate) return;
      const { task } = result;
      await cardUnderMessage(ctx, message, task).catch((error: unknown) =>
        // Filed all the same: the card goes under the message with the task's first notice.
        ctx.logger.warn(`discord: ${formatTaskId(task.id)}'s card waits for Discord to answer`, {
          message: message.id,
          error: error instanceof Error ? error.message : String(error),
        }),
      );
    } catch (error) {
      if (isStewardError(error)) {
        await message
          .reply({ content: error.message, allowedMentions: NO_PINGS })
          .catch(() => undefined);
        return;
      }
      ctx.logger.error("discord: intake message failed", {
        message: message.id,
        channel: message.channelId,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  };
}
