import {
  DiscordAPIError,
  type Message,
  type RepliableInteraction,
  type SendableChannels,
} from "discord.js";
import { formatTaskId } from "../../core/states.js";
import type { Task } from "../../core/task.js";
import { taskCard } from "./cards.js";
import { sendableChannel, threadUnder, Undeliverable } from "./channels.js";
import type { DiscordContext } from "./context.js";
import { cardNonce } from "./nonce.js";
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
  const done = post().then(async (ref) => {
    await ctx.refs.saveTask(task.id, ref);
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
  return posting(ctx, task, () => postUnderMessage(ctx, task, message.channelId, message.id));
}

/** The person's message a task came from (an intake channel's), when it came from one. */
function originOf(task: Task): { channelId: string; messageId: string } | undefined {
  const { channel, message } = task.sourceRef;
  return channel && message ? { channelId: channel, messageId: message } : undefined;
}

/** The task's card as a message of its own, posted once wherever it is posted (its nonce). */
function cardMessage(ctx: DiscordContext, task: Task) {
  return {
    embeds: [taskCard(task, ctx.engine.config)],
    allowedMentions: NO_PINGS,
    ...cardNonce(task),
  };
}

/**
 * The card in a thread started from the person's message (or the one an earlier try started).
 * Where no thread can be started (a permission, a thread channel), the card replies to the
 * message; a Discord that is down (5xx, no answer) throws, to be tried again later.
 */
async function postUnderMessage(
  ctx: DiscordContext,
  task: Task,
  channelId: string,
  messageId: string,
): Promise<ChatRef> {
  const card = cardMessage(ctx, task);
  let thread: SendableChannels;
  try {
    thread = await threadUnder(ctx.client, channelId, messageId, threadTitle(task));
  } catch (error) {
    if (!(error instanceof DiscordAPIError || error instanceof Undeliverable)) throw error;
    const channel = await sendableChannel(ctx.client, channelId);
    const reply = await channel.send({
      ...card,
      reply: { messageReference: messageId, failIfNotExists: false },
    });
    return { channelId: reply.channelId, messageId: reply.id, threadId: null };
  }
  const sent = await thread.send(card);
  return { channelId: thread.id, messageId: sent.id, threadId: thread.id };
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
  const known = await ctx.refs.task(task.id);
  if (known !== undefined) return known;
  const ref = await postCard(ctx, task);
  await ctx.refs.saveTask(task.id, ref);
  ctx.progress.posted(task);
  return ref;
}

/**
 * A card posted late (its first notice is due): under the person's message it came from (its
 * card could not be posted then: Discord was down), else as `cardRef` says.
 */
async function postCard(ctx: DiscordContext, task: Task): Promise<ChatRef> {
  const origin = originOf(task);
  if (origin !== undefined) return postUnderMessage(ctx, task, origin.channelId, origin.messageId);
  const parent = task.parentId === null ? undefined : await ctx.engine.findTask(task.parentId);
  const channel =
    parent === undefined
      ? await sendableChannel(ctx.client, homeChannel(ctx))
      : await taskThread(ctx, parent);
  const card = await channel.send(cardMessage(ctx, task));
  return {
    channelId: card.channelId,
    messageId: card.id,
    threadId: channel.isThread() ? channel.id : null,
  };
}

/** The task's conversation: its thread, started under its card the first time it is needed. */
export async function taskThread(ctx: DiscordContext, task: Task): Promise<SendableChannels> {
  const ref = await cardRef(ctx, task);
  if (ref.threadId !== null) return sendableChannel(ctx.client, ref.threadId);
  const thread = await threadUnder(ctx.client, ref.channelId, ref.messageId, threadTitle(task));
  await ctx.refs.setThread("task", task.id, thread.id);
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
