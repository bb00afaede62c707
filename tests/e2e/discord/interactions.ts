import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import {
  type APIAllowedMentions,
  type APIApplicationCommand,
  type APIApplicationCommandInteractionDataOption,
  type APIApplicationCommandOption,
  type APIChatInputApplicationCommandGuildInteraction,
  type APIInteraction,
  type APIInteractionDataResolved,
  type APIInteractionDataResolvedChannel,
  type APIMessage,
  type APIModalInteractionResponseCallbackData,
  ApplicationCommandType,
  ApplicationIntegrationType,
  GatewayDispatchEvents,
  InteractionContextType,
  type InteractionResponseType,
  InteractionType,
  Locale,
  ApplicationCommandOptionType as Opt,
} from "discord-api-types/v10";
import type { World } from "./messages.js";
import { interactionMember, isThread, memberNoUser, userOf } from "./payloads.js";
import type { FakeState, RecordedFile } from "./state.js";

/** What the bot answered on `POST /interactions/:id/:token/callback`. */
export interface InteractionCallback {
  type: InteractionResponseType;
  /** The body as posted (`payload_json` for multipart): `{ type, data? }`. */
  body: { type: InteractionResponseType; data?: unknown };
  flags: number;
  ephemeral: boolean;
  allowedMentions: APIAllowedMentions | null | undefined;
  files: RecordedFile[];
  /** Milliseconds from the INTERACTION_CREATE dispatch to the callback request. */
  latencyMs: number;
  withResponse: boolean;
  /** False when Discord refused it: too late (10062) or already acknowledged (40060). */
  accepted: boolean;
  error?: { status: number; code: number; message: string };
}

export interface InteractionRecord {
  id: string;
  token: string;
  type: InteractionType;
  payload: APIInteraction;
  userId: string;
  channelId: string;
  /** The message a component or modal interaction came from. */
  sourceMessageId?: string;
  dispatchedAt: number;
  /** Every callback attempt, accepted or not, in order. */
  attempts: InteractionCallback[];
  /** The message `@original` points at, once there is one. */
  originalId?: string;
  followUpIds: string[];
  modal?: APIModalInteractionResponseCallbackData;
  waiters: ((callback: InteractionCallback) => void)[];
}

export interface InteractionHandle<P extends APIInteraction = APIInteraction> {
  readonly id: string;
  readonly token: string;
  /** The INTERACTION_CREATE payload as dispatched. */
  readonly payload: P;
  /** The bot's first callback (accepted or not); rejects if none arrives in time. */
  response(timeoutMs?: number): Promise<InteractionCallback>;
  /** Every callback attempt so far, refused ones included (late, duplicate, invalid). */
  attempts(): InteractionCallback[];
  /** The current `@original` message (after edits), if the bot created or updated one. */
  original(): APIMessage | undefined;
  followUps(): APIMessage[];
  /** The modal the bot opened (callback type 9), to feed `submitModal`. */
  modal(): APIModalInteractionResponseCallbackData | undefined;
}

export type SlashOptions =
  | Record<string, string | number | boolean>
  | APIApplicationCommandInteractionDataOption[];

export interface InteractionPlace {
  channelId?: string;
}

function record(state: FakeState, id: string): InteractionRecord {
  const found = state.interactions.get(id);
  if (!found) throw new Error(`fake discord: no interaction ${id}`);
  return found;
}

function handleFor<P extends APIInteraction>(world: World, id: string): InteractionHandle<P> {
  const { state } = world;
  const rec = record(state, id);
  return {
    id,
    token: rec.token,
    payload: rec.payload as P,
    response(timeoutMs = 5000) {
      const first = rec.attempts[0];
      if (first) return Promise.resolve(first);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const what = "data" in rec.payload ? JSON.stringify(rec.payload.data).slice(0, 120) : "";
          reject(
            new Error(`fake discord: no callback for interaction ${id} ${what} in ${timeoutMs} ms`),
          );
        }, timeoutMs);
        rec.waiters.push((callback) => {
          clearTimeout(timer);
          resolve(callback);
        });
      });
    },
    attempts: () => [...rec.attempts],
    original() {
      if (!rec.originalId) return undefined;
      const message = state.messages.get(rec.channelId)?.get(rec.originalId);
      return message ? structuredClone(message) : undefined;
    },
    followUps() {
      const list = state.messages.get(rec.channelId);
      return rec.followUpIds.flatMap((mid) => {
        const message = list?.get(mid);
        return message ? [structuredClone(message)] : [];
      });
    },
    modal: () => rec.modal,
  };
}

/** The fields every guild interaction carries (discord.js reads entitlements, owners, locale…). */
export function interactionBase(world: World, userId: string, channelId: string) {
  const { state } = world;
  const channel = state.channels.get(channelId);
  if (!channel) throw new Error(`fake discord: no channel ${channelId}`);
  return {
    id: state.snowflakes.next(),
    application_id: state.ids.application,
    // Real tokens are long opaque strings; the prefix keeps them recognisable in logs.
    token: `aW50ZXJhY3Rpb24${randomBytes(48).toString("base64url")}`,
    version: 1 as const,
    guild_id: state.ids.guild,
    guild: { id: state.ids.guild, locale: Locale.EnglishUS, features: [] },
    channel,
    channel_id: channelId,
    member: interactionMember(state, userId),
    app_permissions: state.permissionsOf(state.ids.bot).toString(),
    locale: Locale.EnglishUS,
    guild_locale: Locale.EnglishUS,
    entitlements: [],
    authorizing_integration_owners: { [ApplicationIntegrationType.GuildInstall]: state.ids.guild },
    context: InteractionContextType.Guild,
    attachment_size_limit: 10 * 1024 * 1024,
  };
}

/** Stores the record, dispatches INTERACTION_CREATE and returns the test's handle. */
export function dispatchInteraction<P extends APIInteraction>(
  world: World,
  live: P,
  meta: { userId: string; channelId: string; sourceMessageId?: string },
): InteractionHandle<P> {
  // A snapshot: later edits to channels or members must not change what was dispatched.
  const payload = structuredClone(live);
  world.state.interactions.set(payload.id, {
    id: payload.id,
    token: payload.token,
    type: payload.type,
    payload,
    ...meta,
    dispatchedAt: performance.now(),
    attempts: [],
    followUpIds: [],
    waiters: [],
  });
  if (world.dispatch(GatewayDispatchEvents.InteractionCreate, payload) === undefined) {
    throw new Error("fake discord: no gateway session to deliver the interaction (bot logged in?)");
  }
  return handleFor<P>(world, payload.id);
}

function resolvedFor(
  state: FakeState,
  type: Opt,
  value: string,
  resolved: APIInteractionDataResolved,
): void {
  if (type === Opt.User || (type === Opt.Mentionable && state.users.has(value))) {
    resolved.users = { ...resolved.users, [value]: userOf(state, value) };
    if (state.members.has(value)) {
      const member = memberNoUser(state, value);
      const permissions = state.permissionsOf(value).toString();
      resolved.members = { ...resolved.members, [value]: { ...member, permissions } };
    }
  } else if (type === Opt.Role || type === Opt.Mentionable) {
    const role = state.roles.get(value);
    if (!role) throw new Error(`fake discord: no role ${value}`);
    resolved.roles = { ...resolved.roles, [value]: role };
  } else if (type === Opt.Channel) {
    const channel = state.channels.get(value);
    if (!channel) throw new Error(`fake discord: no channel ${value}`);
    const permissions = state.permissionsOf(state.ids.bot).toString();
    const entry: APIInteractionDataResolvedChannel = isThread(channel)
      ? {
          id: value,
          type: channel.type,
          name: channel.name,
          permissions,
          parent_id: channel.parent_id,
          thread_metadata: channel.thread_metadata,
        }
      : { id: value, type: channel.type, name: channel.name, permissions };
    resolved.channels = { ...resolved.channels, [value]: entry };
  }
}

type Basic = Exclude<APIApplicationCommandOption, { type: Opt.Subcommand | Opt.SubcommandGroup }>;

/** Turns `{ task: "T-4" }` into typed data options, checked against the registered command. */
function optionsFor(
  state: FakeState,
  path: string,
  defined: APIApplicationCommandOption[],
  values: Record<string, string | number | boolean>,
  resolved: APIInteractionDataResolved,
): APIApplicationCommandInteractionDataOption[] {
  const basics = defined.filter(
    (o): o is Basic => o.type !== Opt.Subcommand && o.type !== Opt.SubcommandGroup,
  );
  for (const name of Object.keys(values)) {
    if (!basics.some((o) => o.name === name)) {
      throw new Error(
        `fake discord: /${path} has no option "${name}" (has ${basics.map((o) => o.name)})`,
      );
    }
  }
  const out: unknown[] = [];
  for (const option of basics) {
    const value = values[option.name];
    if (value === undefined) {
      if (option.required) throw new Error(`fake discord: /${path} needs option "${option.name}"`);
      continue;
    }
    const choices = "choices" in option ? option.choices : undefined;
    if (choices?.length && !choices.some((c) => c.value === value)) {
      throw new Error(`fake discord: "${value}" is not a choice of /${path} ${option.name}`);
    }
    if (option.type === Opt.Integer && !Number.isInteger(value)) {
      throw new Error(`fake discord: /${path} ${option.name} must be an integer`);
    }
    if ([Opt.User, Opt.Role, Opt.Channel, Opt.Mentionable].includes(option.type)) {
      resolvedFor(state, option.type, String(value), resolved);
    }
    out.push({ name: option.name, type: option.type, value });
  }
  return out as APIApplicationCommandInteractionDataOption[];
}

export function findCommand(state: FakeState, name: string): APIApplicationCommand {
  const command =
    state.guildCommands.find(
      (c) => c.name === name && c.type === ApplicationCommandType.ChatInput,
    ) ??
    state.globalCommands.find(
      (c) => c.name === name && c.type === ApplicationCommandType.ChatInput,
    );
  if (!command) {
    const known = [...state.guildCommands, ...state.globalCommands].map((c) => c.name);
    throw new Error(`fake discord: /${name} is not registered (registered: ${known.join(", ")})`);
  }
  return command;
}

/**
 * A person running `/name` (or `/name sub` / `/name group sub`). Like Discord's client, it
 * refuses commands or options that are not registered and missing required options.
 */
export function slashCommand(
  world: World,
  name: string,
  options: SlashOptions,
  userId: string,
  place: InteractionPlace = {},
): InteractionHandle<APIChatInputApplicationCommandGuildInteraction> {
  const { state } = world;
  const [top = "", ...subs] = name.trim().split(/\s+/);
  const command = findCommand(state, top);
  const resolved: APIInteractionDataResolved = {};
  let dataOptions: APIApplicationCommandInteractionDataOption[];
  if (Array.isArray(options)) {
    dataOptions = options;
  } else {
    let defined = command.options ?? [];
    const chain: { name: string; type: Opt }[] = [];
    for (const sub of subs) {
      const found = defined.find((o) => o.name === sub);
      if (!found || (found.type !== Opt.Subcommand && found.type !== Opt.SubcommandGroup)) {
        throw new Error(`fake discord: /${top} has no subcommand "${sub}"`);
      }
      chain.push({ name: sub, type: found.type });
      defined = found.options ?? [];
    }
    dataOptions = optionsFor(state, name, defined, options, resolved);
    for (const link of chain.reverse()) {
      dataOptions = [
        { ...link, options: dataOptions } as APIApplicationCommandInteractionDataOption,
      ];
    }
  }
  const channelId = place.channelId ?? state.ids.intakeChannel;
  const payload: APIChatInputApplicationCommandGuildInteraction = {
    ...interactionBase(world, userId, channelId),
    type: InteractionType.ApplicationCommand,
    data: {
      id: command.id,
      name: command.name,
      type: ApplicationCommandType.ChatInput,
      ...(command.guild_id ? { guild_id: command.guild_id } : {}),
      options: dataOptions,
      ...(Object.keys(resolved).length > 0 ? { resolved } : {}),
    },
  };
  return dispatchInteraction(world, payload, { userId, channelId });
}
