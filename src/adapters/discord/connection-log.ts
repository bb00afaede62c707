import { type Client, Events, RESTEvents } from "discord.js";
import type { Logger } from "../../core/log.js";

/** Connection changes and rate limits, one line each: what an operator looks for first. */
export function logConnection(client: Client, logger: Logger): void {
  client.on(Events.Error, (error) => logger.error(`discord: client error: ${error.message}`));
  client.on(Events.ShardDisconnect, (event) =>
    logger.warn("discord: gateway disconnected", { code: event.code }),
  );
  client.on(Events.ShardReconnecting, () => logger.warn("discord: gateway reconnecting"));
  client.on(Events.ShardResume, (_shard, replayed) =>
    logger.info("discord: gateway resumed", { replayed }),
  );
  client.on(Events.ShardError, (error) => logger.warn(`discord: gateway error: ${error.message}`));
  // A wait discord.js knew it had to make (the bucket's limit was reached)…
  client.rest.on(RESTEvents.RateLimited, (limit) =>
    logger.warn(`discord: rate limited on ${limit.method.toUpperCase()} ${limit.route}`, {
      retry_after_ms: limit.retryAfter,
      global: limit.global,
      scope: limit.scope,
    }),
  );
  // …and a 429 it did not see coming, which @discordjs/rest reports only as a debug message.
  client.rest.on(RESTEvents.Debug, (message) => {
    const limit = unexpected429(message);
    if (limit === undefined) return;
    logger.warn(`discord: rate limited on ${limit.method} ${limit.route}`, {
      retry_after_ms: limit.retryAfterMs,
      global: limit.global,
      scope: limit.scope,
    });
  });
}

/** The fields of @discordjs/rest's "Encountered unexpected 429 rate limit" debug message. */
function unexpected429(message: string) {
  // The message comes as `[REST <handler id>] Encountered…`, one field a line.
  if (!message.includes("] Encountered unexpected 429 rate limit")) return undefined;
  const field = (name: string) =>
    new RegExp(`^\\s*${name}\\s*:\\s*(.*)$`, "m").exec(message)?.[1]?.trim();
  return {
    method: (field("Method") ?? "?").toUpperCase(),
    route: field("Bucket") ?? field("URL") ?? "?",
    retryAfterMs: Number.parseInt(field("Retry After") ?? "", 10) || undefined,
    global: field("Global") === "true",
    scope: field("Scope"),
  };
}
