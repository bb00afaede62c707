import {
  type APIMessage,
  type APIThreadChannel,
  ChannelType,
  GatewayDispatchEvents,
  type RESTPatchAPIChannelJSONBody,
  type RESTPostAPIChannelThreadsJSONBody,
  ReactionType,
  ThreadAutoArchiveDuration,
  type ThreadMemberFlags,
} from "discord-api-types/v10";
import { Codes, invalidFormBody, notFound, RestError } from "./errors.js";
import {
  channelOrThrow,
  createChannelMessage,
  deleteMessage,
  editMessage,
  isEphemeral,
  type MessageWrite,
  messageOrThrow,
  type World,
} from "./messages.js";
import { isThread } from "./payloads.js";
import { noContent, ok, type RestRequest, type Route } from "./rest.js";

function write(request: RestRequest): MessageWrite {
  return {
    body: (request.body ?? {}) as MessageWrite["body"],
    files: request.files,
    via: request.via,
  };
}

/** Channel routes never see ephemeral messages: only the interaction webhook can reach them. */
function visibleMessage(world: World, request: RestRequest): APIMessage {
  const { channelId = "", messageId = "" } = request.params;
  channelOrThrow(world, channelId);
  const message = messageOrThrow(world, channelId, messageId);
  if (isEphemeral(message)) throw notFound(Codes.UnknownMessage, "Message");
  return message;
}

/** Posting in an archived thread reopens it; a locked one refuses (Discord's 50083). */
function reopenForPosting(world: World, channelId: string): void {
  const channel = channelOrThrow(world, channelId);
  if (!isThread(channel) || !channel.thread_metadata?.archived) return;
  if (channel.thread_metadata.locked) throw new RestError(400, 50083, "Thread is archived");
  channel.thread_metadata.archived = false;
  world.dispatch(GatewayDispatchEvents.ThreadUpdate, { ...channel });
}

function createThread(
  world: World,
  parentId: string,
  body: RESTPostAPIChannelThreadsJSONBody,
  starter: APIMessage | undefined,
): APIThreadChannel {
  const { state } = world;
  const parent = channelOrThrow(world, parentId);
  if (parent.type !== ChannelType.GuildText) {
    throw new RestError(400, Codes.InvalidFormBody, "Cannot create a thread in this channel type");
  }
  if (!body.name || body.name.length > 100) {
    throw invalidFormBody([
      {
        path: ["name"],
        code: "BASE_TYPE_BAD_LENGTH",
        message: "Must be between 1 and 100 in length.",
      },
    ]);
  }
  if (starter?.thread) {
    throw new RestError(
      400,
      Codes.ThreadAlreadyCreated,
      "A thread has already been created for this message",
    );
  }
  const now = new Date().toISOString();
  // A thread started from a message takes the message's id, as on Discord.
  const id = starter?.id ?? state.snowflakes.next();
  const type = starter ? ChannelType.PublicThread : (body.type ?? ChannelType.PrivateThread);
  const thread: APIThreadChannel = {
    id,
    type,
    guild_id: state.ids.guild,
    parent_id: parentId,
    owner_id: state.ids.bot,
    name: body.name,
    last_message_id: null,
    rate_limit_per_user: body.rate_limit_per_user ?? 0,
    message_count: 0,
    member_count: 1,
    total_message_sent: 0,
    thread_metadata: {
      archived: false,
      auto_archive_duration:
        body.auto_archive_duration ??
        parent.default_auto_archive_duration ??
        ThreadAutoArchiveDuration.OneDay,
      archive_timestamp: now,
      locked: false,
      create_timestamp: now,
      ...(type === ChannelType.PrivateThread ? { invitable: body.invitable ?? true } : {}),
    },
    member: { id, user_id: state.ids.bot, join_timestamp: now, flags: 0 as ThreadMemberFlags },
  };
  state.channels.set(id, thread);
  if (starter) starter.thread = thread;
  world.dispatch(GatewayDispatchEvents.ThreadCreate, { ...thread, newly_created: true });
  return thread;
}

function patchChannel(world: World, request: RestRequest) {
  const channel = channelOrThrow(world, request.params.channelId ?? "");
  const body = (request.body ?? {}) as RESTPatchAPIChannelJSONBody;
  if (body.name !== undefined && body.name !== null) channel.name = body.name;
  if (!isThread(channel)) {
    if (body.topic !== undefined && channel.type === ChannelType.GuildText)
      channel.topic = body.topic;
    world.dispatch(GatewayDispatchEvents.ChannelUpdate, {
      ...channel,
      guild_id: world.state.ids.guild,
    });
    return ok(channel);
  }
  const meta = channel.thread_metadata;
  if (meta) {
    if (body.archived !== undefined) {
      meta.archived = body.archived;
      meta.archive_timestamp = new Date().toISOString();
    }
    if (body.locked !== undefined) meta.locked = body.locked;
    if (body.auto_archive_duration !== undefined)
      meta.auto_archive_duration = body.auto_archive_duration;
  }
  world.dispatch(GatewayDispatchEvents.ThreadUpdate, { ...channel });
  return ok(channel);
}

function react(world: World, request: RestRequest, add: boolean) {
  const message = visibleMessage(world, request);
  const emoji = request.params.emoji ?? "";
  const [name = emoji, id = null] = emoji.split(":");
  const reactions = message.reactions ?? [];
  let reaction = reactions.find((r) => r.emoji.name === name);
  if (add && !reaction) {
    reaction = {
      count: 0,
      count_details: { burst: 0, normal: 0 },
      me: false,
      me_burst: false,
      emoji: { id, name },
      burst_colors: [],
    };
    reactions.push(reaction);
  }
  if (reaction && reaction.me !== add) {
    reaction.me = add;
    reaction.count += add ? 1 : -1;
    reaction.count_details.normal = reaction.count;
  }
  message.reactions = reactions.filter((r) => r.count > 0);
  const event = {
    user_id: world.state.ids.bot,
    channel_id: message.channel_id,
    message_id: message.id,
    guild_id: world.state.ids.guild,
    emoji: { id, name },
    burst: false,
    type: ReactionType.Normal,
  };
  if (add) {
    world.dispatch(GatewayDispatchEvents.MessageReactionAdd, {
      ...event,
      message_author_id: message.author.id,
    });
  } else {
    world.dispatch(GatewayDispatchEvents.MessageReactionRemove, event);
  }
  return noContent();
}

export function channelRoutes(world: World): Route[] {
  const { state } = world;
  return [
    {
      method: "GET",
      pattern: "/channels/:channelId",
      handle: (request) => ok(channelOrThrow(world, request.params.channelId ?? "")),
    },
    {
      method: "PATCH",
      pattern: "/channels/:channelId",
      handle: (request) => patchChannel(world, request),
    },
    {
      method: "POST",
      pattern: "/channels/:channelId/messages",
      handle: (request) => {
        const channelId = request.params.channelId ?? "";
        reopenForPosting(world, channelId);
        return ok(createChannelMessage(world, channelId, write(request)));
      },
    },
    {
      method: "GET",
      pattern: "/channels/:channelId/messages",
      handle: (request) => {
        const channelId = request.params.channelId ?? "";
        channelOrThrow(world, channelId);
        const limit = Math.min(Number(request.query.get("limit") ?? 50), 100);
        const before = request.query.get("before");
        const after = request.query.get("after");
        // Snowflakes order by time; Discord lists newest first.
        const newestFirst = [...(state.messages.get(channelId)?.values() ?? [])]
          .filter((m) => !isEphemeral(m))
          .filter((m) => !before || BigInt(m.id) < BigInt(before))
          .filter((m) => !after || BigInt(m.id) > BigInt(after))
          .reverse();
        return ok(newestFirst.slice(0, limit));
      },
    },
    {
      method: "GET",
      pattern: "/channels/:channelId/messages/:messageId",
      handle: (request) => ok(visibleMessage(world, request)),
    },
    {
      method: "PATCH",
      pattern: "/channels/:channelId/messages/:messageId",
      handle: (request) => {
        const message = visibleMessage(world, request);
        if (message.author.id !== state.ids.bot) {
          throw new RestError(
            403,
            Codes.CannotEditOthersMessage,
            "Cannot edit a message authored by another user",
          );
        }
        return ok(editMessage(world, message, write(request)));
      },
    },
    {
      method: "DELETE",
      pattern: "/channels/:channelId/messages/:messageId",
      handle: (request) => {
        deleteMessage(world, visibleMessage(world, request));
        return noContent();
      },
    },
    {
      method: "POST",
      pattern: "/channels/:channelId/messages/:messageId/threads",
      handle: (request) => {
        const starter = visibleMessage(world, request);
        const body = (request.body ?? {}) as RESTPostAPIChannelThreadsJSONBody;
        return ok(createThread(world, request.params.channelId ?? "", body, starter), 201);
      },
    },
    {
      method: "POST",
      pattern: "/channels/:channelId/threads",
      handle: (request) => {
        const body = (request.body ?? {}) as RESTPostAPIChannelThreadsJSONBody;
        return ok(createThread(world, request.params.channelId ?? "", body, undefined), 201);
      },
    },
    {
      method: "PUT",
      pattern: "/channels/:channelId/thread-members/@me",
      handle: (request) => {
        channelOrThrow(world, request.params.channelId ?? "");
        return noContent();
      },
    },
    {
      method: "POST",
      pattern: "/channels/:channelId/typing",
      handle: (request) => {
        channelOrThrow(world, request.params.channelId ?? "");
        return noContent();
      },
    },
    {
      method: "PUT",
      pattern: "/channels/:channelId/messages/:messageId/reactions/:emoji/@me",
      handle: (request) => react(world, request, true),
    },
    {
      method: "DELETE",
      pattern: "/channels/:channelId/messages/:messageId/reactions/:emoji/@me",
      handle: (request) => react(world, request, false),
    },
  ];
}
