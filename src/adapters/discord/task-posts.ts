import type { Message, RepliableInteraction, SendableChannels } from "discord.js";
import { formatTaskId } from "../../core/states.js";
import type { Task } from "../../core/task.js";
import { taskCard } from "./cards.js";
import { sendableChannel, threadUnder, Undeliverable } from "./channels.js";
import type { DiscordContext } from "./context.js";
import type { ChatRef } from "./refs.js";
import { send } from "./respond.js";
import { NO_PINGS } from "./safety.js";

function threadTitle(task: Task): string {
  return `${formatTaskId(task.id)} · ${task.objective || "details needed"}`;
}

/**
 * Remembers a card being posted. Called in the tick the task was filed, so the task's first
 * notice (the outbox runs on a timer) waits for the card instead of racing it.
 */
function posting(ctx: DiscordContext, task: Task, post: () => Promise<ChatRef>): Promise<void> {
  const done = post().then((ref) => {
    ctx.refs.saveTask(task.id, ref);
    ctx.progress.posted(task);
  });
  ctx.refs.expectCard(task.id, done);
  return done;
}

/** `/task` and its modal: the card is the interaction's reply. */
export function replyWithCard(
  interaction: RepliableInteraction,
  ctx: DiscordContext,
  task: Task,
): Promise<void> {
  return posting(ctx, task, async () => {
    const message = await send(interaction, { embeds: [taskCard(task, ctx.engine.config)] });
    return { channelId: message.channelId, messageId: message.id, threadId: null };
  });
}

/** A message in an intake channel: the card goes in a thread started from that message. */
export function cardUnderMessage(ctx: DiscordContext, message: Message, task: Task): Promise<void> {
  return posting(ctx, task, async () => {
    const thread = await threadUnder(ctx.client, message.channelId, message.id, threadTitle(task));
    const card = await thread.send({
      embeds: [taskCard(task, ctx.engine.config)],
      allowedMentions: NO_PINGS,
    });
    return { channelId: thread.id, messageId: card.id, threadId: thread.id };
  });
}

/** Where tasks from other doors (webhooks, schedules, the console) get a card when needed. */
function homeChannel(ctx: DiscordContext): string {
  const { channels } = ctx.engine.config.discord;
  const home = channels.intake[0] || channels.reports || channels.escalations;
  if (!home) throw new Undeliverable("no Discord channel is configured for task notices");
  return home;
}

/**
 * The task's card, posted now if it has none: a pipeline step's in its first step's thread
 * (the conversation stays in one place), anything else's in the home channel.
 */
async function cardRef(ctx: DiscordContext, task: Task): Promise<ChatRef> {
  await ctx.refs.cardPosted(task.id);
  const known = ctx.refs.task(task.id);
  if (known !== undefined) return known;
  const parent = task.parentId === null ? undefined : ctx.engine.tasks.get(task.parentId);
  const channel =
    parent === undefined
      ? await sendableChannel(ctx.client, homeChannel(ctx))
      : await taskThread(ctx, parent);
  const card = await channel.send({
    embeds: [taskCard(task, ctx.engine.config)],
    allowedMentions: NO_PINGS,
  });
  const threadId = channel.isThread() ? channel.id : null;
  const ref = { channelId: card.channelId, messageId: card.id, threadId };
  ctx.refs.saveTask(task.id, ref);
  ctx.progress.posted(task);
  return ref;
}

/** The task's conversation: its thread, started under its card the first time it is needed. */
export async function taskThread(ctx: DiscordContext, task: Task): Promise<SendableChannels> {
  const ref = await cardRef(ctx, task);
  if (ref.threadId !== null) return sendableChannel(ctx.client, ref.threadId);
  const thread = await threadUnder(ctx.client, ref.channelId, ref.messageId, threadTitle(task));
  ctx.refs.setThread("task", task.id, thread.id);
  return thread;
}

/** Where a task's result goes: its thread if it has one, else a reply to its card. */
export async function taskReplyTarget(
  ctx: DiscordContext,
  task: Task,
): Promise<{ channel: SendableChannels; replyTo?: string }> {
  const ref = await cardRef(ctx, task);
  if (ref.threadId !== null) return { channel: await sendableChannel(ctx.client, ref.threadId) };
  return { channel: await sendableChannel(ctx.client, ref.channelId), replyTo: ref.messageId };
}
