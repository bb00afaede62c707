import {
  type APIAttachment,
  type APIGuild,
  type APIGuildMember,
  type APIGuildMemberNoUser,
  type APIInteractionGuildMember,
  type APIMessage,
  type APIRole,
  type APITextChannel,
  type APIThreadChannel,
  type APIUser,
  ApplicationFlags,
  ChannelType,
  type GatewayGuildCreateDispatchData,
  type GatewayMessageCreateDispatchData,
  type GatewayReadyDispatchData,
  GuildDefaultMessageNotifications,
  GuildExplicitContentFilter,
  type GuildMemberFlags,
  GuildMFALevel,
  GuildNSFWLevel,
  GuildPremiumTier,
  GuildSystemChannelFlags,
  GuildVerificationLevel,
  Locale,
  type MessageFlags,
  MessageType,
  PermissionFlagsBits as P,
  type RoleFlags,
  type ThreadChannelType,
} from "discord-api-types/v10";
import type { FakeState, StoredFile } from "./state.js";

/** Options that shape the seeded guild. */
export interface WorldOptions {
  guildName?: string;
  botName?: string;
  channelNames?: { intake?: string; escalations?: string; reports?: string };
}

const everyonePermissions =
  P.ViewChannel |
  P.SendMessages |
  P.SendMessagesInThreads |
  P.CreatePublicThreads |
  P.ReadMessageHistory |
  P.AddReactions |
  P.EmbedLinks |
  P.AttachFiles |
  P.UseApplicationCommands;

// What a sensibly invited bot would be granted: no administrator, so permission bugs show.
const botPermissions =
  everyonePermissions |
  P.ManageThreads |
  P.ManageMessages |
  P.MentionEveryone |
  P.UseExternalEmojis;

function user(id: string, username: string, bot = false): APIUser {
  return {
    id,
    username,
    global_name: bot ? null : username[0]?.toUpperCase() + username.slice(1),
    discriminator: bot ? "0001" : "0",
    avatar: null,
    ...(bot ? { bot: true } : {}),
  };
}

function role(id: string, name: string, position: number, permissions: bigint): APIRole {
  return {
    id,
    name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position,
    permissions: permissions.toString(),
    managed: false,
    mentionable: false,
    flags: 0 as RoleFlags,
  };
}

function textChannel(state: FakeState, id: string, name: string, position: number): APITextChannel {
  return {
    id,
    type: ChannelType.GuildText,
    guild_id: state.ids.guild,
    name,
    position,
    permission_overwrites: [],
    parent_id: null,
    nsfw: false,
    topic: null,
    last_message_id: null,
    rate_limit_per_user: 0,
  };
}

/** Fills the state with the guild Steward expects: three channels, an operator role, three people. */
export function seedWorld(state: FakeState, options: WorldOptions = {}): void {
  const { ids } = state;
  const joined = new Date(state.startedAt - 86_400_000).toISOString();
  const people: [string, APIUser, string[]][] = [
    [ids.bot, user(ids.bot, options.botName ?? "Steward", true), [ids.botRole]],
    [ids.operator, user(ids.operator, "ada"), [ids.operatorRole]],
    [ids.member, user(ids.member, "bob"), []],
  ];
  for (const [id, u, roles] of people) {
    state.users.set(id, u);
    state.members.set(id, {
      user: u,
      nick: null,
      avatar: null,
      roles,
      joined_at: joined,
      premium_since: null,
      deaf: false,
      mute: false,
      flags: 0 as GuildMemberFlags,
      pending: false,
      communication_disabled_until: null,
    });
  }
  state.roles.set(ids.everyoneRole, role(ids.everyoneRole, "@everyone", 0, everyonePermissions));
  state.roles.set(ids.operatorRole, role(ids.operatorRole, "operator", 1, everyonePermissions));
  const botRole = role(ids.botRole, options.botName ?? "Steward", 2, botPermissions);
  state.roles.set(ids.botRole, { ...botRole, managed: true, tags: { bot_id: ids.bot } });
  const names = options.channelNames ?? {};
  const channels: [string, string][] = [
    [ids.intakeChannel, names.intake ?? "intake"],
    [ids.escalationChannel, names.escalations ?? "escalations"],
    [ids.reportsChannel, names.reports ?? "reports"],
  ];
  channels.forEach(([id, name], position) => {
    state.channels.set(id, textChannel(state, id, name, position));
  });
}

export function guildPayload(state: FakeState, name = "Steward HQ"): APIGuild {
  return {
    id: state.ids.guild,
    name,
    icon: null,
    splash: null,
    discovery_splash: null,
    banner: null,
    description: null,
    owner_id: state.ids.operator,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: GuildVerificationLevel.Low,
    default_message_notifications: GuildDefaultMessageNotifications.OnlyMentions,
    explicit_content_filter: GuildExplicitContentFilter.AllMembers,
    roles: [...state.roles.values()],
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: GuildMFALevel.None,
    application_id: null,
    system_channel_id: null,
    system_channel_flags: GuildSystemChannelFlags.SuppressJoinNotifications,
    rules_channel_id: null,
    vanity_url_code: null,
    premium_tier: GuildPremiumTier.None,
    premium_subscription_count: 0,
    preferred_locale: Locale.EnglishUS,
    public_updates_channel_id: null,
    nsfw_level: GuildNSFWLevel.Default,
    premium_progress_bar_enabled: false,
    hub_type: null,
    safety_alerts_channel_id: null,
    incidents_data: null,
    max_members: 500_000,
    max_video_channel_users: 25,
  };
}

export function isThread(channel: { type: ChannelType }): channel is APIThreadChannel {
  return (
    channel.type === ChannelType.PublicThread ||
    channel.type === ChannelType.PrivateThread ||
    channel.type === ChannelType.AnnouncementThread
  );
}

export function threadsOf(state: FakeState): APIThreadChannel[] {
  return [...state.channels.values()].filter(isThread);
}

export function guildCreatePayload(
  state: FakeState,
  name?: string,
): GatewayGuildCreateDispatchData {
  const textChannels = [...state.channels.values()].filter(
    (c): c is APITextChannel => c.type === ChannelType.GuildText,
  );
  const activeThreads = threadsOf(state).filter((t) => !t.thread_metadata?.archived);
  return {
    ...guildPayload(state, name),
    joined_at: new Date(state.startedAt - 3_600_000).toISOString(),
    large: false,
    unavailable: false,
    member_count: state.members.size,
    voice_states: [],
    members: [...state.members.values()],
    channels: textChannels,
    threads: activeThreads as (APIThreadChannel & { type: ThreadChannelType })[],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}

// The portal toggles for the privileged intents Steward asks for.
const applicationFlags =
  ApplicationFlags.GatewayMessageContentLimited | ApplicationFlags.GatewayGuildMembersLimited;

export function readyPayload(
  state: FakeState,
  sessionId: string,
  resumeUrl: string,
  shard: [number, number],
): GatewayReadyDispatchData {
  return {
    v: 10,
    user: { ...botUser(state), verified: true, mfa_enabled: false },
    guilds: [{ id: state.ids.guild, unavailable: true }],
    session_id: sessionId,
    resume_gateway_url: resumeUrl,
    shard,
    application: {
      id: state.ids.application,
      flags: applicationFlags,
      flags_new: `${applicationFlags}`,
    },
  };
}

export function botUser(state: FakeState): APIUser {
  return userOf(state, state.ids.bot);
}

export function userOf(state: FakeState, userId: string): APIUser {
  const found = state.users.get(userId);
  if (!found)
    throw new Error(`fake discord: no user ${userId} (known: ${[...state.users.keys()]})`);
  return found;
}

export function memberOf(state: FakeState, userId: string): APIGuildMember {
  const found = state.members.get(userId);
  if (!found) throw new Error(`fake discord: user ${userId} is not a member of the guild`);
  return found;
}

export function memberNoUser(state: FakeState, userId: string): APIGuildMemberNoUser {
  const { user: _user, ...rest } = memberOf(state, userId);
  return { ...rest, joined_at: rest.joined_at ?? new Date(state.startedAt).toISOString() };
}

export function interactionMember(state: FakeState, userId: string): APIInteractionGuildMember {
  return {
    ...memberOf(state, userId),
    user: userOf(state, userId),
    permissions: state.permissionsOf(userId).toString(),
  };
}

/** An attachment object for a stored file, shaped like Discord's CDN attachments. */
export function attachmentPayload(file: StoredFile, description?: string): APIAttachment {
  const size = imageSize(file.bytes, file.contentType);
  return {
    id: file.attachmentId,
    filename: file.name,
    size: file.bytes.length,
    url: file.url,
    proxy_url: file.url,
    content_type: file.contentType,
    ...(description ? { description } : {}),
    ...(size ? { width: size.width, height: size.height } : {}),
  };
}

/** PNG dimensions from the IHDR chunk, so chart attachments look like Discord's. */
function imageSize(bytes: Buffer, contentType: string): { width: number; height: number } | null {
  if (contentType !== "image/png" || bytes.length < 24) return null;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** The MESSAGE_CREATE payload of a message: adds guild_id, the author's member and mentions. */
export function messageEvent(
  state: FakeState,
  message: APIMessage,
): GatewayMessageCreateDispatchData {
  const guildMember = state.members.has(message.author.id) && !message.webhook_id;
  return {
    ...message,
    guild_id: state.ids.guild,
    ...(guildMember ? { member: memberNoUser(state, message.author.id) } : {}),
    mentions: message.mentions.map((u) =>
      state.members.has(u.id) ? { ...u, member: memberNoUser(state, u.id) } : u,
    ),
  };
}

/** A blank message shell; callers fill content, components and the rest. */
export function messageShell(
  state: FakeState,
  channelId: string,
  author: APIUser,
  type: MessageType = MessageType.Default,
): APIMessage {
  return {
    id: state.snowflakes.next(),
    channel_id: channelId,
    author,
    content: "",
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    components: [],
    pinned: false,
    type,
    flags: 0 as MessageFlags,
  };
}
