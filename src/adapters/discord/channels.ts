import {
  ChannelType,
  type Client,
  DiscordAPIError,
  type SendableChannels,
  ThreadAutoArchiveDuration,
} from "discord.js";
import { clip, LIMITS, oneLine } from "./safety.js";

/** Discord's code for "a thread was already started from this message". */
const THREAD_ALREADY_CREATED = 160004;

/** A destination that will not work however often it is retried (not configured, not text). */
export class Undeliverable extends Error {
  override name = "Undeliverable";
}

export async function sendableChannel(
  client: Client,
  channelId: string,
): Promise<SendableChannels> {
  const channel = await client.channels.fetch(channelId);
  if (!channel?.isSendable()) {
    throw new Undeliverable(`channel ${channelId} is not a text channel Steward can post in`);
  }
  return channel;
}

export function threadName(text: string): string {
  return clip(oneLine(text), LIMITS.threadName);
}

/**
 * The thread under a message: started now, or the one a previous attempt already started (a
 * thread started from a message shares its id). A message inside a thread talks in that thread.
 */
export async function threadUnder(
  client: Client,
  channelId: string,
  messageId: string,
  name: string,
): Promise<SendableChannels> {
  const channel = await client.channels.fetch(channelId);
  if (channel?.isThread()) return channel;
  if (channel?.type !== ChannelType.GuildText && channel?.type !== ChannelType.GuildAnnouncement) {
    throw new Undeliverable(`cannot start a thread in channel ${channelId}`);
  }
  try {
    return await channel.threads.create({
      startMessage: messageId,
      name: threadName(name),
      autoArchiveDuration: ThreadAutoArchiveDuration.OneWeek,
    });
  } catch (error) {
    if (error instanceof DiscordAPIError && error.code === THREAD_ALREADY_CREATED) {
      return sendableChannel(client, messageId);
    }
    throw error;
  }
}
