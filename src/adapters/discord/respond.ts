import {
  type BaseMessageOptions,
  type Interaction,
  type Message,
  MessageFlags,
  type RepliableInteraction,
} from "discord.js";
import { isStewardError } from "../../core/errors.js";
import type { Logger } from "../../core/log.js";
import { clip, LIMITS, NO_PINGS } from "./safety.js";

/** A refusal the adapter itself makes (a bad option value): shown like a StewardError. */
export class Refusal extends Error {
  override name = "Refusal";
}

export type Reply = Omit<BaseMessageOptions, "allowedMentions"> & {
  allowedMentions?: BaseMessageOptions["allowedMentions"];
};

/** Answers the interaction (reply, or fills in the deferred reply) and returns the message. */
export async function send(
  interaction: RepliableInteraction,
  reply: Reply,
  options: { ephemeral?: boolean } = {},
): Promise<Message> {
  const body = { allowedMentions: NO_PINGS, ...reply };
  if (interaction.deferred || interaction.replied) return interaction.editReply(body);
  const flags = options.ephemeral ? MessageFlags.Ephemeral : undefined;
  const response = await interaction.reply({ ...body, flags, withResponse: true });
  return response.resource?.message ?? interaction.fetchReply();
}

/**
 * A short answer only the person sees: the refusal, the error. A reply already deferred has
 * its visibility fixed (Discord turns the first follow-up after a deferral into the deferred
 * message): a private one is filled in, a public "thinking…" is withdrawn first so the answer
 * can be a private follow-up instead of a public message.
 */
export async function whisper(interaction: RepliableInteraction, content: string): Promise<void> {
  const text = { content: clip(content, LIMITS.content), allowedMentions: NO_PINGS };
  const pending = interaction.deferred && !interaction.replied;
  // `ephemeral` is false only after a public deferReply (a deferUpdate leaves it null).
  if (pending && interaction.ephemeral === false) {
    await interaction.deleteReply();
    await interaction.followUp({ ...text, flags: MessageFlags.Ephemeral });
  } else if (pending) {
    await interaction.editReply(text);
  } else if (interaction.replied) {
    await interaction.followUp({ ...text, flags: MessageFlags.Ephemeral });
  } else {
    await interaction.reply({ ...text, flags: MessageFlags.Ephemeral });
  }
}

/** What an interaction was, for the log line of an unexpected failure. */
export function describeInteraction(interaction: Interaction): Record<string, unknown> {
  const what = interaction.isChatInputCommand()
    ? `/${interaction.commandName}`
    : interaction.isMessageComponent() || interaction.isModalSubmit()
      ? interaction.customId
      : `type ${interaction.type}`;
  return {
    interaction: interaction.id,
    what,
    user: interaction.user.id,
    channel: interaction.channelId,
  };
}

/**
 * The router's last word: an expected refusal is told to the person as it is; anything else is
 * logged with its context and answered with a generic private message.
 */
export async function answerError(
  interaction: Interaction,
  error: unknown,
  logger: Logger,
): Promise<void> {
  const expected = isStewardError(error) || error instanceof Refusal;
  if (!expected) {
    logger.error("discord: interaction failed", {
      ...describeInteraction(interaction),
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
  if (!interaction.isRepliable()) return;
  const message = expected
    ? (error as Error).message
    : "Something went wrong on Steward's side; it has been logged. Try again in a moment.";
  try {
    await whisper(interaction, message);
  } catch (replyError) {
    logger.warn("discord: could not answer an interaction", {
      ...describeInteraction(interaction),
      error: replyError instanceof Error ? replyError.message : String(replyError),
    });
  }
}
