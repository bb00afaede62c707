import {
  type APIActionRowComponent,
  type APIButtonComponent,
  AttachmentBuilder,
  ButtonStyle,
  ComponentType,
} from "discord.js";
import { formatDuration } from "../../config/duration.js";
import type { Destination } from "../../core/destination.js";
import { describeDestination } from "../../core/destination.js";
import { timeTaken } from "../../core/figures.js";
import type { OutboxMessage } from "../../core/outbox.js";
import { formatEscalationId, formatTaskId } from "../../core/states.js";
import type { Task } from "../../core/task.js";
import { describeMissing } from "../../intake/describe.js";
import { stateLabel } from "./cards.js";
import { sendableChannel } from "./channels.js";
import type { DiscordContext } from "./context.js";
import { encodeCustomId } from "./custom-ids.js";
import { once } from "./nonce.js";
import { clip, defuse, LIMITS, NO_PINGS, pingOnly, shortLiteral, who } from "./safety.js";
import { taskReplyTarget, taskThread } from "./task-posts.js";

type Of<K extends OutboxMessage["kind"]> = Extract<OutboxMessage, { kind: K }>;

export function detailsButton(taskId: number): APIActionRowComponent<APIButtonComponent> {
  return {
    type: ComponentType.ActionRow,
    components: [
      {
        type: ComponentType.Button,
        custom_id: encodeCustomId({ kind: "task_details", taskId }),
        label: "Add details",
        style: ButtonStyle.Primary,
      },
    ],
  };
}

/** The requester is asked, in the task's thread, for exactly what is missing. */
export async function postClarification(
  ctx: DiscordContext,
  message: Of<"clarification">,
): Promise<void> {
  const task = await ctx.engine.task(message.taskId);
  // Answered (or cancelled) before this could be posted: the card already says where it is.
  if (task.state !== "needs_clarification") return;
  const thread = await taskThread(ctx, task);
  const missing = describeMissing(task.missingFields) || "a few more details";
  const lines = [
    `${who(task.requester)} **${formatTaskId(task.id)}** needs ${missing} before it can run.`,
    `Why: ${shortLiteral(message.note, 300)}`,
    "Press **Add details**: the task resumes as soon as you submit.",
  ];
  await thread.send({
    content: clip(lines.join("\n"), LIMITS.content),
    components: [detailsButton(task.id)],
    allowedMentions: pingOnly(task.requester),
    ...once(ctx, "clarification"),
  });
}

/** How many characters of output clip in the message itself; the rest goes in a file. */
const INLINE_OUTPUT = 1500;

/** The output as a message: inline when short, otherwise a summary and the whole as a file. */
export function outputMessage(task: Task, header: string) {
  const output = (task.output ?? "").trim();
  if (output === "") return { content: `${header}\n(no output recorded)`, files: [] };
  const inline = defuse(output);
  if (header.length + inline.length + 1 <= LIMITS.content) {
    return { content: `${header}\n${inline}`, files: [] };
  }
  const file = new AttachmentBuilder(Buffer.from(output, "utf8"), {
    name: `${formatTaskId(task.id)}-output.md`,
  });
  const excerpt = clip(inline, INLINE_OUTPUT);
  return {
    content: clip(
      `${header}\n${excerpt}\n*(${output.length} characters: the whole output is attached)*`,
      LIMITS.content,
    ),
    files: [file],
  };
}

/** Where the output belongs: the requester's thread (or a reply to the card), or a channel. */
export async function postDone(ctx: DiscordContext, message: Of<"task_done">): Promise<void> {
  const { engine } = ctx;
  const task = await engine.task(message.taskId);
  const destination: Destination = message.destination ?? { kind: "reply" };
  const took = formatDuration(timeTaken(task, await engine.events(task.id)));
  const header = `${who(task.requester)} **${formatTaskId(task.id)}** is done (\`${task.category}\`, ${took}).`;
  const target = await taskReplyTarget(ctx, task);
  const reply = target.replyTo
    ? { reply: { messageReference: target.replyTo, failIfNotExists: false } }
    : {};
  if (destination.kind === "reply") {
    await target.channel.send({
      ...outputMessage(task, header),
      ...reply,
      allowedMentions: pingOnly(task.requester),
      ...once(ctx, "done"),
    });
    await engine.markDelivered(task.id);
    return;
  }
  if (destination.kind === "channel") {
    const channel = await sendableChannel(ctx.client, destination.channelId);
    await channel.send({
      ...outputMessage(task, `**${formatTaskId(task.id)}** for ${who(task.requester)}:`),
      allowedMentions: NO_PINGS,
      ...once(ctx, "output"),
    });
    await engine.markDelivered(task.id);
  }
  // Files and webhooks are delivered by the output pump; here the requester only hears where.
  await target.channel.send({
    content: `${header} Output: ${describeDestination(destination)}.`,
    ...reply,
    allowedMentions: pingOnly(task.requester),
    ...once(ctx, "done"),
  });
}

export async function postEscalated(
  ctx: DiscordContext,
  message: Of<"task_escalated">,
): Promise<void> {
  const task = await ctx.engine.task(message.taskId);
  const thread = await taskThread(ctx, task);
  const escalations = ctx.engine.config.discord.channels.escalations;
  const where = escalations === "" ? "the escalations channel" : `<#${escalations}>`;
  const now =
    task.state === "escalated" ? "" : ` It has moved on since: ${stateLabel(task.state)}.`;
  // The escalation it waits in, so the requester can find the one card for its cause.
  const group = await ctx.engine.openEscalationOf(task.id);
  const ref = group === undefined ? "" : `, under **${formatEscalationId(group.id)}**`;
  await thread.send({
    content: clip(
      `**${formatTaskId(task.id)}** needs an operator: ${shortLiteral(message.reason, 600)}. The decision is made in ${where}${ref}.${now}`,
      LIMITS.content,
    ),
    allowedMentions: NO_PINGS,
    ...once(ctx, "escalated"),
  });
}

export async function postCancelled(
  ctx: DiscordContext,
  message: Of<"task_cancelled">,
): Promise<void> {
  const task = await ctx.engine.task(message.taskId);
  const thread = await taskThread(ctx, task);
  await thread.send({
    content: clip(
      `**${formatTaskId(task.id)}** was cancelled by ${who(message.actor)}: ${shortLiteral(message.reason, 600)}`,
      LIMITS.content,
    ),
    allowedMentions: NO_PINGS,
    ...once(ctx, "cancelled"),
  });
}

/** In the task's thread: where a file or webhook output went, or why it never can. */
export async function postOutputDelivery(
  ctx: DiscordContext,
  message: Of<"output_delivery">,
): Promise<void> {
  const task = await ctx.engine.task(message.taskId);
  const thread = await taskThread(ctx, task);
  const id = `**${formatTaskId(task.id)}**`;
  await thread.send({
    ...(message.delivered
      ? {
          content: clip(
            `${id}'s output was delivered: ${shortLiteral(message.detail, 300)}.`,
            LIMITS.content,
          ),
          allowedMentions: NO_PINGS,
        }
      : {
          content: clip(
            `${who(task.requester)} ${id}'s output was not delivered: ${shortLiteral(message.detail, 600)}. It is kept on the task (\`/status task:${formatTaskId(task.id)}\`).`,
            LIMITS.content,
          ),
          allowedMentions: pingOnly(task.requester),
        }),
    ...once(ctx, "output-delivery"),
  });
}
