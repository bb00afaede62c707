import type {
  APIAllowedMentions,
  APIApplicationCommand,
  APIGuildMember,
  APIMessage,
  APIRole,
  APITextChannel,
  APIThreadChannel,
  APIUser,
} from "discord-api-types/v10";
import type { InteractionRecord } from "./interactions.js";

/** Every id the fake world is built from; the guild id doubles as the @everyone role id. */
export interface FakeIds {
  application: string;
  bot: string;
  guild: string;
  everyoneRole: string;
  botRole: string;
  operatorRole: string;
  /** Owns the guild and holds the operator role. */
  operator: string;
  /** A plain member without the operator role. */
  member: string;
  intakeChannel: string;
  escalationChannel: string;
  reportsChannel: string;
}

export type GuildChannel = APITextChannel | APIThreadChannel;

/** A file the fake received in a multipart request or serves as an attachment. */
export interface RecordedFile {
  /** The multipart field, e.g. `files[0]`. */
  field: string;
  name: string;
  contentType: string;
  bytes: Buffer;
}

export interface StoredFile extends RecordedFile {
  attachmentId: string;
  url: string;
}

export interface RecordedRequest {
  /** Milliseconds since the fake started. */
  at: number;
  method: string;
  /** Path below `/api/v10`, e.g. `/channels/123/messages`. */
  path: string;
  query: Record<string, string>;
  /** The matched route pattern, e.g. `POST /channels/:channelId/messages`; unset when none matched. */
  route?: string;
  /** JSON body, or `payload_json` (plus other text fields) of a multipart body. */
  body: unknown;
  files: RecordedFile[];
  status: number;
  response: unknown;
  /** Set when `failRest` produced the answer. */
  fault?: boolean;
  auditLogReason?: string;
}

/** Who a message would actually notify, from its content and `allowed_mentions`. */
export interface Pings {
  users: string[];
  roles: string[];
  everyone: boolean;
  repliedUser: boolean;
}

export interface MentionRecord {
  at: number;
  /** Filling a deferred reply counts as an edit, as on Discord: edits never notify. */
  kind: "create" | "edit";
  /** The REST call that produced it, e.g. `POST /channels/1/messages`. */
  via: string;
  channelId: string;
  messageId: string;
  content: string;
  /** Exactly what the bot sent: undefined when it sent none (Discord then pings everything). */
  allowedMentions: APIAllowedMentions | null | undefined;
  /** Who the message mentions with effect (highlighted), per `allowed_mentions`. */
  pings: Pings;
  /** Whether that sends notifications: a new, non-ephemeral message without SUPPRESS_NOTIFICATIONS. */
  notifies: boolean;
}

const discordEpoch = 1_420_070_400_000n;

/** Real-looking, strictly increasing snowflakes (discord.js buckets routes on 17–19 digit ids). */
export class Snowflakes {
  private last = 0n;

  next(): string {
    const fromClock = (BigInt(Date.now()) - discordEpoch) << 22n;
    this.last = fromClock > this.last ? fromClock : this.last + 1n;
    return this.last.toString();
  }
}

export class FakeState {
  readonly startedAt = Date.now();
  readonly snowflakes = new Snowflakes();
  readonly ids: FakeIds;
  readonly users = new Map<string, APIUser>();
  readonly roles = new Map<string, APIRole>();
  readonly members = new Map<string, APIGuildMember>();
  /** Text channels and threads, by id. */
  readonly channels = new Map<string, GuildChannel>();
  /** Per channel, messages in creation order (Map keeps insertion order). */
  readonly messages = new Map<string, Map<string, APIMessage>>();
  /** Attachment bytes by attachment id. */
  readonly files = new Map<string, StoredFile>();
  readonly interactions = new Map<string, InteractionRecord>();
  readonly requests: RecordedRequest[] = [];
  readonly mentions: MentionRecord[] = [];
  /** `enforce_nonce` sends: channel, author and nonce → the message created and when. */
  readonly nonces = new Map<string, { messageId: string; at: number }>();
  /** How long a nonce returns its message; Discord says "the past few minutes". */
  nonceWindowMs = 120_000;
  guildCommands: APIApplicationCommand[] = [];
  globalCommands: APIApplicationCommand[] = [];

  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {
    const id = () => this.snowflakes.next();
    const guild = id();
    this.ids = {
      application: id(),
      bot: "",
      guild,
      everyoneRole: guild,
      botRole: id(),
      operatorRole: id(),
      operator: id(),
      member: id(),
      intakeChannel: id(),
      escalationChannel: id(),
      reportsChannel: id(),
    };
    // A bot user's id is its application's id.
    this.ids.bot = this.ids.application;
  }

  elapsed(): number {
    return Date.now() - this.startedAt;
  }

  channelMessages(channelId: string): Map<string, APIMessage> {
    let list = this.messages.get(channelId);
    if (!list) {
      list = new Map();
      this.messages.set(channelId, list);
    }
    return list;
  }

  findMessage(messageId: string): APIMessage | undefined {
    for (const list of this.messages.values()) {
      const found = list.get(messageId);
      if (found) return found;
    }
    return undefined;
  }

  /** Permissions of a member: the OR of @everyone and their roles (administrator grants all). */
  permissionsOf(userId: string): bigint {
    const member = this.members.get(userId);
    let bits = BigInt(this.roles.get(this.ids.everyoneRole)?.permissions ?? "0");
    for (const roleId of member?.roles ?? []) {
      bits |= BigInt(this.roles.get(roleId)?.permissions ?? "0");
    }
    const administrator = 1n << 3n;
    return bits & administrator ? (1n << 53n) - 1n : bits;
  }
}
