import { Client, GatewayIntentBits, Partials } from "discord.js";
import { NO_PINGS } from "./safety.js";

export interface ClientOptions {
  /** A Discord-compatible API (`http://127.0.0.1:PORT/api`); the gateway URL then comes from it. */
  apiBase?: string;
}

/**
 * The discord.js client Steward runs on: guild events, guild messages and their content (the
 * intake channel). Nothing pings unless a message says so explicitly.
 */
export function createClient(options: ClientOptions = {}): Client {
  return new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.MessageContent,
    ],
    partials: [Partials.Channel],
    allowedMentions: NO_PINGS,
    rest: options.apiBase === undefined ? {} : { api: options.apiBase },
  });
}
