/**
 * A loopback Discord: REST v10 under `/api/v10` and the gateway on `/gateway`, one HTTP server
 * on 127.0.0.1. The real discord.js client talks to it with one option added:
 *
 *   const base = process.env.DISCORD_API_BASE; // "http://127.0.0.1:PORT/api"
 *   new Client({ intents, rest: base ? { api: base } : {} });
 *   await client.login(process.env.DISCORD_TOKEN);
 *
 * `rest.version` already defaults to "10" (requests go to `${api}/v10/...`). There is no
 * gateway option: discord.js always asks `GET ${api}/v10/gateway/bot` for the URL, appends
 * `?v=10&encoding=json`, and resumes at READY's `resume_gateway_url`. Keep the option
 * conditional: `{ api: undefined }` is spread over discord.js's defaults and sends requests
 * to "undefined/v10/…".
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type {
  APIApplicationCommand,
  APIMessage,
  GatewayDispatchEvents,
} from "discord-api-types/v10";
import {
  chooseOption,
  type MessageRef,
  type ModalSource,
  type ModalValues,
  pressButton,
  submitModal,
} from "./components.js";
import { type DispatchData, FakeGateway, type GatewayStats } from "./gateway.js";
import { type InteractionPlace, type SlashOptions, slashCommand } from "./interactions.js";
import { pingsAnyone } from "./mentions.js";
import { isEphemeral, postUserMessage, type UserAttachment, type World } from "./messages.js";
import {
  guildCreatePayload,
  isThread,
  readyPayload,
  seedWorld,
  type WorldOptions,
} from "./payloads.js";
import { FakeRest, type FaultHandle, type RestFault } from "./rest.js";
import { channelRoutes } from "./routes-channels.js";
import { interactionRoutes } from "./routes-interactions.js";
import { miscRoutes } from "./routes-misc.js";
import {
  type FakeIds,
  FakeState,
  type GuildChannel,
  type MentionRecord,
  type RecordedRequest,
  type StoredFile,
} from "./state.js";

export type { GatewayStats } from "./gateway.js";
export type { InteractionCallback, InteractionHandle } from "./interactions.js";
export type { FaultHandle, RestFault } from "./rest.js";
export type { FakeIds, MentionRecord, RecordedRequest, StoredFile } from "./state.js";

export interface FakeDiscordOptions extends WorldOptions {
  /** The bot token the fake accepts (REST `Authorization: Bot …` and gateway IDENTIFY). */
  token?: string;
  /** HELLO's interval; discord.js jitters the first beat by random × interval. Default 41 250. */
  heartbeatIntervalMs?: number;
  /** Callbacks later than this get 10062 Unknown interaction. Default 3000, as on Discord. */
  callbackDeadlineMs?: number;
  /** How long an `enforce_nonce` send returns the message its nonce created. Default 2 min. */
  nonceWindowMs?: number;
}

export interface FakeDiscord {
  /** What `DISCORD_API_BASE` should be: `http://127.0.0.1:PORT/api`. */
  readonly apiBase: string;
  readonly gatewayUrl: string;
  readonly token: string;
  readonly ids: FakeIds;
  /** DISCORD_TOKEN, DISCORD_API_BASE, DISCORD_GUILD_ID and the channel/role ids Steward reads. */
  readonly env: Record<string, string>;
  /** Every REST request, in arrival order, with its status and response. */
  readonly requests: RecordedRequest[];
  /** Every message the bot created or edited, with its allowed_mentions and who it pinged. */
  readonly mentions: MentionRecord[];
  /** Live counters: connections, identifies, resumes, heartbeats, intents, ops received. */
  readonly gatewayStats: GatewayStats;

  /** A channel's messages, oldest first, as they look now; ephemeral ones only if asked. */
  messages(channelId: string, options?: { includeEphemeral?: boolean }): APIMessage[];
  message(messageId: string): APIMessage | undefined;
  channel(channelId: string): GuildChannel | undefined;
  /** Threads, optionally of one parent channel. */
  threads(parentId?: string): GuildChannel[];
  /** Registered commands (bulk overwrite results). */
  commands(scope?: "guild" | "global"): APIApplicationCommand[];
  /** A stored upload (or a person's attachment) by attachment id or URL. */
  file(idOrUrl: string): StoredFile | undefined;
  /** Requests no route matched: routes the bot needs that the fake lacks. */
  unmatchedRequests(): RecordedRequest[];
  /** Mention records that mention anyone with effect (notifying or not: see `notifies`). */
  pings(): MentionRecord[];

  /** Sends a dispatch (op 0) on the current session; returns its sequence number. */
  dispatch<T extends GatewayDispatchEvents>(event: T, data: DispatchData<T>): number | undefined;
  postMessage(
    channelId: string,
    userId: string,
    content: string,
    attachments?: UserAttachment[],
    options?: { replyTo?: string },
  ): APIMessage;
  /** `/name` or `/name sub`; options by name, checked against the registered command. */
  slashCommand(
    name: string,
    options?: SlashOptions,
    userId?: string,
    place?: InteractionPlace,
  ): ReturnType<typeof slashCommand>;
  pressButton(
    message: MessageRef,
    customId: string,
    userId?: string,
  ): ReturnType<typeof pressButton>;
  chooseOption(
    message: MessageRef,
    customId: string,
    values: string[],
    userId?: string,
  ): ReturnType<typeof chooseOption>;
  submitModal(
    source: ModalSource,
    values: ModalValues,
    userId?: string,
  ): ReturnType<typeof submitModal>;

  /** Closes the gateway socket; see FakeGateway.drop for what each option makes discord.js do. */
  dropGateway(options?: {
    code?: number;
    invalidateSession?: boolean;
    abrupt?: boolean;
  }): Promise<void>;
  /** Resolves at the next READY (fresh identify) or RESUMED the gateway sends. */
  waitForGateway(event: "ready" | "resumed", timeoutMs?: number): Promise<void>;
  /** Stop answering heartbeats to simulate a zombie connection. */
  setHeartbeatAcks(enabled: boolean): void;
  /** Fails matching REST requests with `status` (a 429 carries Retry-After); see RestFault. */
  failRest(fault: RestFault): FaultHandle;
  clearFaults(): void;
  close(): Promise<void>;
}

function serveFile(state: FakeState, url: URL, response: ServerResponse): void {
  const [, , , attachmentId = ""] = url.pathname.split("/");
  const file = state.files.get(attachmentId);
  if (!file) {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, {
    "content-type": file.contentType,
    "content-length": file.bytes.length,
  });
  response.end(file.bytes);
}

export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const token = options.token ?? "fake-bot-token.steward.e2e";
  let handler: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
  const server = createServer((request, response) => handler?.(request, response));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const apiBase = `${baseUrl}/api`;
  const gatewayUrl = `ws://127.0.0.1:${port}/gateway`;
  const guildName = options.guildName ?? "Steward HQ";

  const state = new FakeState(baseUrl, token);
  seedWorld(state, options);
  if (options.nonceWindowMs !== undefined) state.nonceWindowMs = options.nonceWindowMs;
  const gateway = new FakeGateway({
    token,
    url: gatewayUrl,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
    botId: state.ids.bot,
    identify: (sessionId, shard) => ({
      ready: readyPayload(state, sessionId, gatewayUrl, shard),
      guilds: [guildCreatePayload(state, guildName)],
    }),
    requestMembers: (request, intents) => {
      const ids = "user_ids" in request ? [request.user_ids].flat() : undefined;
      const query = "query" in request ? request.query.toLowerCase() : "";
      // Listing members (no user_ids) needs the privileged GUILD_MEMBERS intent.
      const listing = ids === undefined && (intents & (1 << 1)) === 0;
      const members = listing
        ? []
        : [...state.members.values()].filter((m) =>
            ids ? ids.includes(m.user.id) : m.user.username.toLowerCase().startsWith(query),
          );
      return {
        guild_id: state.ids.guild,
        members,
        chunk_index: 0,
        chunk_count: 1,
        not_found: ids?.filter((id) => !state.members.has(id)) ?? [],
        ...(request.nonce ? { nonce: request.nonce } : {}),
      };
    },
  });
  const world: World = { state, dispatch: (event, data) => gateway.dispatch(event, data) };
  const rest = new FakeRest(state, [
    ...channelRoutes(world),
    ...interactionRoutes(world, { callbackDeadlineMs: options.callbackDeadlineMs ?? 3000 }),
    ...miscRoutes(world, gatewayUrl, guildName),
  ]);

  handler = (request, response) => {
    const url = new URL(request.url ?? "/", baseUrl);
    if (url.pathname.startsWith("/api/")) {
      void rest.handle(request, response, url);
    } else if (url.pathname.startsWith("/attachments/") && request.method === "GET") {
      serveFile(state, url, response);
    } else {
      response.writeHead(404).end();
    }
  };
  server.on("upgrade", (request, socket, head) => gateway.handleUpgrade(request, socket, head));

  const { ids } = state;
  const operator = ids.operator;
  return {
    apiBase,
    gatewayUrl,
    token,
    ids,
    env: {
      DISCORD_TOKEN: token,
      DISCORD_API_BASE: apiBase,
      DISCORD_GUILD_ID: ids.guild,
      DISCORD_INTAKE_CHANNEL_ID: ids.intakeChannel,
      DISCORD_ESCALATION_CHANNEL_ID: ids.escalationChannel,
      DISCORD_REPORTS_CHANNEL_ID: ids.reportsChannel,
      DISCORD_OPERATOR_ROLE_ID: ids.operatorRole,
    },
    requests: state.requests,
    mentions: state.mentions,
    gatewayStats: gateway.stats,
    messages: (channelId, { includeEphemeral = false } = {}) =>
      [...(state.messages.get(channelId)?.values() ?? [])]
        .filter((m) => includeEphemeral || !isEphemeral(m))
        .map((m) => structuredClone(m)),
    message: (messageId) => {
      const found = state.findMessage(messageId);
      return found ? structuredClone(found) : undefined;
    },
    channel: (channelId) => state.channels.get(channelId),
    threads: (parentId) =>
      [...state.channels.values()].filter(
        (c) => isThread(c) && (parentId === undefined || c.parent_id === parentId),
      ),
    commands: (scope = "guild") => (scope === "guild" ? state.guildCommands : state.globalCommands),
    file: (idOrUrl) =>
      state.files.get(idOrUrl) ?? [...state.files.values()].find((f) => f.url === idOrUrl),
    unmatchedRequests: () => state.requests.filter((r) => r.route === undefined && !r.fault),
    pings: () => state.mentions.filter((m) => pingsAnyone(m.pings)),
    dispatch: (event, data) => gateway.dispatch(event, data),
    postMessage: (channelId, userId, content, attachments, opts) =>
      postUserMessage(world, channelId, userId, content, attachments, opts?.replyTo),
    slashCommand: (name, slashOptions = {}, userId = operator, place) =>
      slashCommand(world, name, slashOptions, userId, place),
    pressButton: (message, customId, userId = operator) =>
      pressButton(world, message, customId, userId),
    chooseOption: (message, customId, values, userId = operator) =>
      chooseOption(world, message, customId, values, userId),
    submitModal: (source, values, userId = operator) => submitModal(world, source, values, userId),
    dropGateway: (dropOptions) => gateway.drop(dropOptions),
    waitForGateway: (event, timeoutMs) => gateway.waitFor(event, timeoutMs),
    setHeartbeatAcks: (enabled) => {
      gateway.ackHeartbeats = enabled;
    },
    failRest: (fault) => rest.fail(fault),
    clearFaults: () => rest.clearFaults(),
    close: async () => {
      rest.clearFaults();
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
