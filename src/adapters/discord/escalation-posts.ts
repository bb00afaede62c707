import type { SendableChannels } from "discord.js";
import { formatEscalationId } from "../../core/states.js";
import { sendableChannel, threadUnder, Undeliverable } from "./channels.js";
import type { DiscordContext } from "./context.js";
import { escalationPayload, threadIntro } from "./escalation-message.js";
import { once } from "./nonce.js";
import { clip, LIMITS, NO_PINGS, oneLine, relativeTime } from "./safety.js";

function escalationsChannel(ctx: DiscordContext): string {
  const id = ctx.engine.config.discord.channels.escalations;
  if (id === "") throw new Undeliverable("discord.channels.escalations is not configured");
  return id;
}

async function groupTitle(ctx: DiscordContext, escalationId: number): Promise<string> {
  const group = await ctx.engine.escalation(escalationId);
  return `${formatEscalationId(escalationId)} · ${oneLine(group?.summary ?? "escalation")}`;
}

/**
 * An escalation's message with its buttons, then its own thread. Each step is remembered as
 * it succeeds, so a retry after an outage finishes the job instead of posting it twice.
 */
export async function postEscalation(
  ctx: DiscordContext,
  escalationId: number,
  where?: SendableChannels,
): Promise<void> {
  const { engine, refs, client } = ctx;
  let ref = await refs.escalation(escalationId);
  if (ref === undefined) {
    const channel = where ?? (await sendableChannel(client, escalationsChannel(ctx)));
    const message = await channel.send({
      ...(await escalationPayload(engine, escalationId)),
      ...once(ctx, `escalation:${escalationId}`),
    });
    ref = {
      channelId: message.channelId,
      messageId: message.id,
      // Posted inside a digest's thread: that thread is its conversation.
      threadId: channel.isThread() ? channel.id : null,
    };
    await refs.saveEscalation(escalationId, ref);
  }
  if (ref.threadId !== null) return;
  const thread = await threadUnder(
    client,
    ref.channelId,
    ref.messageId,
    await groupTitle(ctx, escalationId),
  );
  await refs.setThread("escalation", escalationId, thread.id);
  await thread.send({
    content: await threadIntro(engine, escalationId),
    allowedMentions: NO_PINGS,
    ...once(ctx, `intro:${escalationId}`),
  });
}

/** The escalation's thread, started now if the message is posted but its thread is not yet. */
export async function escalationThread(
  ctx: DiscordContext,
  escalationId: number,
): Promise<SendableChannels | undefined> {
  const ref = await ctx.refs.escalation(escalationId);
  if (ref === undefined) return undefined;
  if (ref.threadId !== null) return sendableChannel(ctx.client, ref.threadId);
  const title = await groupTitle(ctx, escalationId);
  const thread = await threadUnder(ctx.client, ref.channelId, ref.messageId, title);
  await ctx.refs.setThread("escalation", escalationId, thread.id);
  return thread;
}

/**
 * Held back by quiet hours: one message lists the groups; each group's own message (with its
 * buttons) follows in the digest's thread.
 */
export async function postDigest(ctx: DiscordContext, escalationIds: number[]): Promise<void> {
  const { engine, client } = ctx;
  const channel = await sendableChannel(client, escalationsChannel(ctx));
  const key = `digest:${escalationIds.join(",")}`;
  const posted = (await channel.messages.fetch({ limit: 50 })).find(
    (message) => message.author.id === client.user?.id && message.embeds[0]?.footer?.text === key,
  );
  const lines = await Promise.all(
    escalationIds.map(async (id) => {
      const group = await engine.escalation(id);
      return `**${formatEscalationId(id)}** · ${oneLine(group?.summary ?? "")}`;
    }),
  );
  const digest =
    posted ??
    (await channel.send({
      content: `**${escalationIds.length} escalations** waited for the end of quiet hours.`,
      embeds: [
        {
          title: "Escalation digest",
          description: clip(lines.join("\n"), LIMITS.embedDescription),
          footer: { text: key },
        },
      ],
      allowedMentions: NO_PINGS,
      ...once(ctx, "digest"),
    }));
  const thread = await threadUnder(client, channel.id, digest.id, "Escalation digest");
  for (const id of escalationIds) await postEscalation(ctx, id, thread);
}

/** Redraws an escalation's message: decisions so far, or decided with its buttons disabled. */
export async function refreshEscalation(ctx: DiscordContext, escalationId: number): Promise<void> {
  const ref = await ctx.refs.escalation(escalationId);
  if (ref === undefined) return;
  const channel = await sendableChannel(ctx.client, ref.channelId);
  const message = await channel.messages.fetch(ref.messageId);
  await message.edit(await escalationPayload(ctx.engine, escalationId, message.components));
}

/** Still unanswered: a nudge in its thread (or the escalations channel if it has none). */
export async function postReminder(ctx: DiscordContext, escalationId: number): Promise<void> {
  const group = await ctx.engine.escalation(escalationId);
  if (group === undefined || group.state === "resolved") return;
  const ref = await ctx.refs.escalation(escalationId);
  const channel = await sendableChannel(ctx.client, ref?.threadId ?? escalationsChannel(ctx));
  const since = group.postedAt ?? group.createdAt;
  await channel.send({
    content: `⏰ ${formatEscalationId(escalationId)} still waits for a decision (posted ${relativeTime(since)}).`,
    allowedMentions: NO_PINGS,
    ...once(ctx, "reminder"),
  });
}
