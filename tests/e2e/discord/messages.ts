import {
  type APIAttachment,
  type APIEmbed,
  type APIMessage,
  type APIMessageInteractionMetadata,
  type APIMessageTopLevelComponent,
  type APIUser,
  EmbedType,
  GatewayDispatchEvents,
  MessageFlags,
  MessageType,
  type RESTAPIAttachment,
  type RESTAPIMessageReference,
} from "discord-api-types/v10";
import { Codes, invalidFormBody, notFound, RestError } from "./errors.js";
import type { Dispatch } from "./gateway.js";
import { type MessageBody, validateMessage } from "./limits.js";
import { computePings, pingsAnyone } from "./mentions.js";
import { attachmentPayload, isThread, messageEvent, messageShell, userOf } from "./payloads.js";
import type { FakeState, RecordedFile, StoredFile } from "./state.js";

export interface World {
  state: FakeState;
  dispatch: Dispatch;
}

/** A message body as the bot sends it (JSON or `payload_json`), plus the uploaded files. */
export interface MessageWrite {
  body: MessageBody & {
    attachments?: RESTAPIAttachment[];
    message_reference?: RESTAPIMessageReference;
    tts?: boolean;
    nonce?: string | number;
    enforce_nonce?: boolean;
  };
  files: RecordedFile[];
  /** The REST call, for the mention log, e.g. `POST /channels/1/messages`. */
  via: string;
}

export interface CreateExtras {
  type?: MessageType;
  author?: APIUser;
  webhookId?: string;
  interactionMetadata?: APIMessageInteractionMetadata;
  /** Interaction responses may be ephemeral; channel messages may not. */
  allowEphemeral?: boolean;
  /** Deferred responses start as a "thinking…" message. */
  loading?: boolean;
}

// Flags a bot may set; anything else (crossposted, urgent, …) is Discord's to set.
const settable = MessageFlags.SuppressEmbeds | MessageFlags.SuppressNotifications;
const sticky = MessageFlags.Ephemeral | MessageFlags.IsComponentsV2;

export function channelOrThrow(world: World, channelId: string) {
  const channel = world.state.channels.get(channelId);
  if (!channel) throw notFound(Codes.UnknownChannel, "Channel");
  return channel;
}

export function messageOrThrow(world: World, channelId: string, messageId: string): APIMessage {
  const message = world.state.messages.get(channelId)?.get(messageId);
  if (!message) throw notFound(Codes.UnknownMessage, "Message");
  return message;
}

export function storeFile(state: FakeState, channelId: string, file: RecordedFile): StoredFile {
  const attachmentId = state.snowflakes.next();
  const url = `${state.baseUrl}/attachments/${channelId}/${attachmentId}/${encodeURIComponent(file.name)}`;
  const stored: StoredFile = { ...file, attachmentId, url };
  state.files.set(attachmentId, stored);
  return stored;
}

/** New uploads: `attachments[].id` refers to the `files[id]` field of the multipart body. */
function uploads(state: FakeState, channelId: string, write: MessageWrite): APIAttachment[] {
  const described = new Map((write.body.attachments ?? []).map((a) => [String(a.id), a]));
  return write.files.map((file) => {
    const index = /^files\[(\d+)\]$/.exec(file.field)?.[1] ?? "";
    const meta = described.get(index);
    const named = meta?.filename ? { ...file, name: meta.filename } : file;
    return attachmentPayload(storeFile(state, channelId, named), meta?.description);
  });
}

function normalizeEmbeds(embeds: APIEmbed[] | null | undefined): APIEmbed[] {
  return (embeds ?? []).map((embed) => ({ type: EmbedType.Rich, ...embed }));
}

function applyPings(
  world: World,
  message: APIMessage,
  write: MessageWrite,
  kind: "create" | "edit",
) {
  const repliedTo = message.referenced_message?.author.id;
  const allowed = write.body.allowed_mentions;
  const pings = computePings(message.content, allowed, repliedTo);
  const { state } = world;
  const mentioned = new Set([
    ...pings.users,
    ...(pings.repliedUser && repliedTo ? [repliedTo] : []),
  ]);
  message.mentions = [...mentioned]
    .filter((id) => state.users.has(id))
    .map((id) => userOf(state, id));
  message.mention_roles = pings.roles;
  message.mention_everyone = pings.everyone;
  const quiet = MessageFlags.Ephemeral | MessageFlags.SuppressNotifications;
  state.mentions.push({
    at: state.elapsed(),
    kind,
    via: write.via,
    channelId: message.channel_id,
    messageId: message.id,
    content: message.content,
    allowedMentions: allowed,
    pings,
    notifies: kind === "create" && pingsAnyone(pings) && ((message.flags ?? 0) & quiet) === 0,
  });
}

function touchChannel(world: World, channelId: string, messageId: string) {
  const channel = world.state.channels.get(channelId);
  if (!channel) return;
  channel.last_message_id = messageId;
  if (isThread(channel)) {
    channel.message_count = (channel.message_count ?? 0) + 1;
    channel.total_message_sent = (channel.total_message_sent ?? 0) + 1;
  }
}

export function isEphemeral(message: APIMessage): boolean {
  return ((message.flags ?? 0) & MessageFlags.Ephemeral) !== 0;
}

/** Creates a message authored by the bot (or its interaction webhook) and tells the gateway. */
export function createMessage(
  world: World,
  channelId: string,
  write: MessageWrite,
  extras: CreateExtras = {},
): APIMessage {
  const { state } = world;
  channelOrThrow(world, channelId);
  const { body } = write;
  if (!extras.loading) validateMessage(body, { creating: true, files: write.files.length });
  const reference = body.message_reference;
  const referenced = reference?.message_id
    ? state.messages.get(channelId)?.get(reference.message_id)
    : undefined;
  if (reference && !referenced && reference.fail_if_not_exists !== false) {
    throw new RestError(400, Codes.InvalidFormBody, "Invalid Form Body", {
      message_reference: {
        _errors: [{ code: "REPLIES_UNKNOWN_MESSAGE", message: "Unknown message" }],
      },
    });
  }
  const type = referenced ? MessageType.Reply : (extras.type ?? MessageType.Default);
  const message = messageShell(
    state,
    channelId,
    extras.author ?? userOf(state, state.ids.bot),
    type,
  );
  let flags = (body.flags ?? 0) & (settable | MessageFlags.IsComponentsV2);
  if (extras.allowEphemeral) flags |= (body.flags ?? 0) & MessageFlags.Ephemeral;
  if (extras.loading) flags |= MessageFlags.Loading;
  Object.assign(message, {
    content: body.content ?? "",
    tts: body.tts ?? false,
    embeds: normalizeEmbeds(body.embeds),
    components: (body.components ?? []) as APIMessageTopLevelComponent[],
    attachments: uploads(state, channelId, write),
    flags,
    ...(body.nonce !== undefined ? { nonce: body.nonce } : {}),
    ...(extras.webhookId
      ? { webhook_id: extras.webhookId, application_id: state.ids.application }
      : {}),
    ...(extras.interactionMetadata ? { interaction_metadata: extras.interactionMetadata } : {}),
  });
  if (referenced) {
    message.message_reference = {
      message_id: referenced.id,
      channel_id: channelId,
      guild_id: state.ids.guild,
    };
    message.referenced_message = structuredClone(referenced);
  }
  if (!extras.loading) applyPings(world, message, write, "create");
  state.channelMessages(channelId).set(message.id, message);
  touchChannel(world, channelId, message.id);
  if (!isEphemeral(message)) {
    world.dispatch(GatewayDispatchEvents.MessageCreate, messageEvent(state, message));
  }
  return message;
}

/**
 * `POST /channels/:id/messages`. With `enforce_nonce`, a nonce the same author sent in the same
 * channel within the window returns the message it created (200, the same id) and creates
 * nothing: no second message, no MESSAGE_CREATE, no ping.
 */
export function createChannelMessage(
  world: World,
  channelId: string,
  write: MessageWrite,
): APIMessage {
  const { state } = world;
  const { nonce, enforce_nonce: enforce } = write.body;
  if (typeof nonce === "string" && nonce.length > 25) {
    throw invalidFormBody([
      { path: ["nonce"], code: "BASE_TYPE_MAX_LENGTH", message: "Must be 25 or fewer in length." },
    ]);
  }
  if (enforce !== true || nonce === undefined) return createMessage(world, channelId, write);
  const key = `${channelId}:${state.ids.bot}:${nonce}`;
  const seen = state.nonces.get(key);
  const earlier =
    seen !== undefined && Date.now() - seen.at <= state.nonceWindowMs
      ? state.messages.get(channelId)?.get(seen.messageId)
      : undefined;
  if (earlier !== undefined) return earlier;
  const message = createMessage(world, channelId, write);
  state.nonces.set(key, { messageId: message.id, at: Date.now() });
  return message;
}

/** PATCH semantics: absent fields stay, `null` clears, `attachments` lists the ones to keep. */
export function editMessage(world: World, message: APIMessage, write: MessageWrite): APIMessage {
  const { state } = world;
  const { body } = write;
  const kept = body.attachments
    ? message.attachments.filter((a) => body.attachments?.some((k) => String(k.id) === a.id))
    : message.attachments;
  validateMessage(body, {
    creating: false,
    files: write.files.length,
    keptAttachments: kept.length,
  });
  if (body.content !== undefined) message.content = body.content ?? "";
  if (body.embeds !== undefined) message.embeds = normalizeEmbeds(body.embeds);
  if (body.components !== undefined) {
    message.components = (body.components ?? []) as APIMessageTopLevelComponent[];
  }
  message.attachments = [...kept, ...uploads(state, message.channel_id, write)];
  const stickyFlags = (message.flags ?? 0) & sticky;
  const wasLoading = ((message.flags ?? 0) & MessageFlags.Loading) !== 0;
  message.flags = body.flags != null ? (body.flags & settable) | stickyFlags : (message.flags ?? 0);
  message.flags &= ~MessageFlags.Loading;
  // Filling a deferred reply shows as new content (no "edited" mark) but notifies nobody.
  if (!wasLoading) message.edited_timestamp = new Date().toISOString();
  applyPings(world, message, write, "edit");
  if (!isEphemeral(message)) {
    world.dispatch(GatewayDispatchEvents.MessageUpdate, messageEvent(state, message));
  }
  return message;
}

export function deleteMessage(world: World, message: APIMessage): void {
  world.state.messages.get(message.channel_id)?.delete(message.id);
  if (!isEphemeral(message)) {
    world.dispatch(GatewayDispatchEvents.MessageDelete, {
      id: message.id,
      channel_id: message.channel_id,
      guild_id: world.state.ids.guild,
    });
  }
}

export interface UserAttachment {
  name: string;
  content: Buffer | string;
  contentType?: string;
}

/** A person (not the bot) posting in a channel: stored and dispatched as MESSAGE_CREATE. */
export function postUserMessage(
  world: World,
  channelId: string,
  userId: string,
  content: string,
  attachments: UserAttachment[] = [],
  replyTo?: string,
): APIMessage {
  const { state } = world;
  channelOrThrow(world, channelId);
  if (!state.members.has(userId)) throw new Error(`fake discord: ${userId} is not a guild member`);
  const referenced = replyTo ? messageOrThrow(world, channelId, replyTo) : undefined;
  const type = referenced ? MessageType.Reply : MessageType.Default;
  const message = messageShell(state, channelId, userOf(state, userId), type);
  message.content = content;
  message.attachments = attachments.map((a, i) => {
    const bytes = typeof a.content === "string" ? Buffer.from(a.content) : a.content;
    const contentType = a.contentType ?? guessType(a.name);
    const file = { field: `files[${i}]`, name: a.name, contentType, bytes };
    return attachmentPayload(storeFile(state, channelId, file));
  });
  if (referenced) {
    message.message_reference = {
      message_id: referenced.id,
      channel_id: channelId,
      guild_id: state.ids.guild,
    };
    message.referenced_message = structuredClone(referenced);
  }
  // People's clients send no allowed_mentions: every mention in the text pings.
  const pings = computePings(content, undefined, referenced?.author.id);
  message.mentions = pings.users.filter((id) => state.users.has(id)).map((id) => userOf(state, id));
  message.mention_roles = pings.roles;
  message.mention_everyone = pings.everyone;
  state.channelMessages(channelId).set(message.id, message);
  touchChannel(world, channelId, message.id);
  world.dispatch(GatewayDispatchEvents.MessageCreate, messageEvent(state, message));
  return structuredClone(message);
}

function guessType(name: string): string {
  const ext = name.split(".").pop()?.toLowerCase() ?? "";
  const types: Record<string, string> = {
    png: "image/png",
    jpg: "image/jpeg",
    jpeg: "image/jpeg",
    gif: "image/gif",
    txt: "text/plain; charset=utf-8",
    md: "text/markdown; charset=utf-8",
    json: "application/json; charset=utf-8",
    csv: "text/csv; charset=utf-8",
    pdf: "application/pdf",
  };
  return types[ext] ?? "application/octet-stream";
}
