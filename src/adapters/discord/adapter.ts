import { once } from "node:events";
import { type Client, Events } from "discord.js";
import type { Logger } from "../../core/log.js";
import type { Engine } from "../../engine/engine.js";
import { waitingCount } from "../../engine/status.js";
import type { OutboxPump } from "../outbox-pump.js";
import { createClient } from "./client.js";
import { logConnection } from "./connection-log.js";
import type { DiscordContext } from "./context.js";
import { createIntakeListener } from "./intake-channel.js";
import { discordDelivery } from "./outbox.js";
import { CardProgress } from "./progress.js";
import { ChatRefs } from "./refs.js";
import { registerCommands } from "./register.js";
import { createInteractionRouter } from "./router.js";

export interface DiscordOptions {
  engine: Engine;
  token: string;
  apiBase?: string;
  logger: Logger;
  /** How often the outbox is read (ms). */
  outboxEveryMs?: number;
  /** Card edits within this window become one. */
  progressDebounceMs?: number;
  /** Give up on the first connection after this long. */
  readyTimeoutMs?: number;
}

export interface DiscordAdapter {
  client: Client;
  context: DiscordContext;
  pump: OutboxPump;
  /** For /healthz: `discord connected` while the gateway session is up. */
  health(): { ok: boolean; status: string };
  stop(): Promise<void>;
}

/**
 * Logs in, registers the guild commands (bulk overwrite), then serves interactions and the
 * intake channel, keeps task cards moving and delivers the outbox.
 */
export async function startDiscord(options: DiscordOptions): Promise<DiscordAdapter> {
  const { engine, logger } = options;
  const client = createClient({ apiBase: options.apiBase });
  const refs = new ChatRefs(engine.chatRefs);
  const progress = new CardProgress({
    engine,
    refs,
    client,
    logger,
    debounceMs: options.progressDebounceMs,
  });
  const context: DiscordContext = {
    engine,
    client,
    refs,
    progress,
    status: engine.status,
    logger,
  };
  const route = createInteractionRouter(context);
  const intake = createIntakeListener(context);
  client.on(Events.InteractionCreate, (interaction) => void route(interaction));
  client.on(Events.MessageCreate, (message) => void intake(message));
  logConnection(client, logger);

  const ready = once(client, Events.ClientReady, {
    signal: AbortSignal.timeout(options.readyTimeoutMs ?? 30_000),
  });
  try {
    await client.login(options.token);
    await ready;
    const names = await registerCommands(engine.config, {
      token: options.token,
      rest: client.rest,
      applicationId: client.application?.id,
    });
    logger.info(`discord: connected as ${client.user?.tag}; registered /${names.join(", /")}`);
    const waiting = waitingCount(await context.status.snapshot());
    if (waiting.details + waiting.escalations > 0) {
      logger.info(
        `discord: waiting on a person: ${waiting.details} task(s) for details, ${waiting.escalations} escalation(s) for a decision; /status lists them`,
      );
    }
  } catch (error) {
    await client.destroy();
    throw error;
  }

  const pump = discordDelivery(context, options.outboxEveryMs);
  progress.start();
  pump.start();
  return {
    client,
    context,
    pump,
    health: () =>
      client.isReady() && client.ws.ping !== undefined
        ? { ok: true, status: "discord connected" }
        : { ok: false, status: "discord disconnected" },
    stop: async () => {
      await pump.stop();
      await progress.stop();
      await client.destroy();
    },
  };
}
