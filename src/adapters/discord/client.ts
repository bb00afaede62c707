import { Client, GatewayIntentBits, Partials, REST } from "discord.js";
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
  const client = new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.MessageContent,
    ],
    partials: [Partials.Channel],
    allowedMentions: NO_PINGS,
    rest: options.apiBase === undefined ? {} : { api: options.apiBase },
  });
  exemptInteractionWebhooks(client);
  return client;
}

/**
 * Discord does not count interaction endpoints against the bot's global rate limit (50 requests
 * a second), but discord.js's own limiter counts every request but the initial callback: a burst
 * of deferred /task replies would be filled in at 50 a second, holding up every other post. The
 * requests on an interaction's token (its `@original` and follow-ups: unauthenticated, under the
 * application's webhook) go through a second manager without the global limit; the per-route
 * limits Discord reports still apply there.
 */
function exemptInteractionWebhooks(client: Client): void {
  const interactions = new REST({
    ...client.options.rest,
    globalRequestsPerSecond: Number.POSITIVE_INFINITY,
  });
  const queued = client.rest.queueRequest.bind(client.rest);
  client.rest.queueRequest = (request) => {
    const application = client.application?.id;
    const onToken =
      request.auth === false &&
      application !== undefined &&
      request.fullRoute.startsWith(`/webhooks/${application}/`);
    return onToken ? interactions.queueRequest(request) : queued(request);
  };
}
