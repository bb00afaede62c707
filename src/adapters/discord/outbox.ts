import { DiscordAPIError, RESTJSONErrorCodes } from "discord.js";
import { CHAT_KINDS, type OutboxKind, type PendingMessage } from "../../core/outbox.js";
import { engineOutbox, OutboxPump } from "../outbox-pump.js";
import { sendableChannel, Undeliverable } from "./channels.js";
import type { DiscordContext } from "./context.js";
import { postDigest, postEscalation, postReminder, refreshEscalation } from "./escalation-posts.js";
import { once, outboxNonces } from "./nonce.js";
import { reviewMessage } from "./review-message.js";
import { clip, LIMITS, NO_PINGS, shortLiteral } from "./safety.js";
import {
  postCancelled,
  postClarification,
  postDone,
  postEscalated,
  postOutputDelivery,
} from "./task-notices.js";

/** Everything meant for a person; files and webhooks belong to the output pump. */
export const DISCORD_KINDS: readonly OutboxKind[] = CHAT_KINDS;

/** Errors no retry will fix: a bad request, a missing channel or permission. */
const PERMANENT_CODES = new Set<number>([
  RESTJSONErrorCodes.UnknownChannel,
  RESTJSONErrorCodes.MissingAccess,
  RESTJSONErrorCodes.MissingPermissions,
  RESTJSONErrorCodes.InvalidFormBodyOrContentType,
]);

export function isPermanent(error: Error): boolean {
  if (error instanceof Undeliverable) return true;
  return error instanceof DiscordAPIError && PERMANENT_CODES.has(Number(error.code));
}

async function postAnomalies(ctx: DiscordContext, ids: number[]): Promise<void> {
  const channelId = ctx.engine.config.discord.channels.escalations;
  if (channelId === "") throw new Undeliverable("discord.channels.escalations is not configured");
  const open = await ctx.engine.openAnomalies(ids);
  if (open.length === 0) return; // resolved by themselves before anyone needed to hear
  // What each one is, in words; the rule after it for whoever tunes the checker.
  const lines = open.map(
    (anomaly) => `• ${shortLiteral(anomaly.detail, 200)} · \`${anomaly.rule}\``,
  );
  const channel = await sendableChannel(ctx.client, channelId);
  await channel.send({
    content: clip(
      `🔎 The status check found ${open.length} new anomal${open.length === 1 ? "y" : "ies"}:\n${lines.join("\n")}`,
      LIMITS.content,
    ),
    allowedMentions: NO_PINGS,
    ...once(ctx, "anomalies"),
  });
}

async function deliver(ctx: DiscordContext, { message }: PendingMessage): Promise<void> {
  switch (message.kind) {
    case "clarification":
      return postClarification(ctx, message);
    case "task_done":
      return postDone(ctx, message);
    case "task_escalated":
      return postEscalated(ctx, message);
    case "task_cancelled":
      return postCancelled(ctx, message);
    case "output_delivery":
      return postOutputDelivery(ctx, message);
    case "escalation":
      return postEscalation(ctx, message.escalationId);
    case "escalation_digest":
      return postDigest(ctx, message.escalationIds);
    case "escalation_resolved":
    case "escalation_updated":
      // Decided, or more tasks joined it: the message is redrawn from the group as it is now.
      return refreshEscalation(ctx, message.escalationId);
    case "reminder":
      return postReminder(ctx, message.escalationId);
    case "anomalies":
      return postAnomalies(ctx, message.anomalyIds);
    case "review_report": {
      const channelId = ctx.engine.config.discord.channels.reports;
      if (channelId === "") throw new Undeliverable("discord.channels.reports is not configured");
      const channel = await sendableChannel(ctx.client, channelId);
      const report = await reviewMessage(ctx, await ctx.engine.review(message.month));
      await channel.send({ ...report, ...once(ctx, "review") });
      return;
    }
    default: {
      // Written by a newer Steward (or an older one): logged, and not retried forever.
      const kind = (message as { kind: string }).kind;
      ctx.logger.warn(`discord: no delivery for outbox kind "${kind}"; marked delivered`);
    }
  }
}

/**
 * A message whose deliverer was killed mid-send goes to its successor when its claim ends, and
 * its nonce spares a second post only while Discord remembers it ("a few minutes"): so the claim
 * ends within a minute, however long a task's lease.
 */
const MAX_CLAIM_MS = 60_000;

/** Delivers everything a person should hear about to Discord, retried while it is away. */
export function discordDelivery(ctx: DiscordContext, everyMs = 250): OutboxPump {
  const outbox = engineOutbox(ctx.engine);
  return new OutboxPump({
    ...outbox,
    claimMs: outbox.claimMs === undefined ? undefined : Math.min(outbox.claimMs, MAX_CLAIM_MS),
    logger: ctx.logger,
    kinds: DISCORD_KINDS,
    everyMs,
    isPermanent,
    // Whoever sends this message, and however often, Discord creates each of its posts once.
    deliver: (pending) => deliver({ ...ctx, nonces: outboxNonces(pending) }, pending),
  });
}
