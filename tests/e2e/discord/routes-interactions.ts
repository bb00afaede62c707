import { performance } from "node:perf_hooks";
import {
  type APIAllowedMentions,
  type APIMessage,
  type APIMessageInteractionMetadata,
  type APIModalInteractionResponseCallbackData,
  ApplicationIntegrationType,
  InteractionResponseType as Cb,
  InteractionType,
  MessageFlags,
  MessageType,
  type RESTPostAPIInteractionCallbackWithResponseResult,
} from "discord-api-types/v10";
import { Codes, notFound, RestError } from "./errors.js";
import type { InteractionCallback, InteractionRecord } from "./interactions.js";
import { validateModal } from "./limits.js";
import {
  createMessage,
  deleteMessage,
  editMessage,
  isEphemeral,
  type MessageWrite,
  messageOrThrow,
  type World,
} from "./messages.js";
import { userOf } from "./payloads.js";
import { noContent, ok, type RestRequest, type Route } from "./rest.js";

export interface InteractionRules {
  /** Discord refuses callbacks later than 3 s with 10062 Unknown interaction. */
  callbackDeadlineMs: number;
}

type CallbackBody = { type: Cb; data?: Record<string, unknown> } & Record<string, unknown>;

function metadata(world: World, rec: InteractionRecord): APIMessageInteractionMetadata {
  const { state } = world;
  const base = {
    id: rec.id,
    user: userOf(state, rec.userId),
    authorizing_integration_owners: { [ApplicationIntegrationType.GuildInstall]: state.ids.guild },
  };
  if (rec.type === InteractionType.MessageComponent) {
    return {
      ...base,
      type: InteractionType.MessageComponent,
      interacted_message_id: rec.sourceMessageId ?? "",
    };
  }
  if (rec.type === InteractionType.ModalSubmit) {
    return {
      ...base,
      type: InteractionType.ModalSubmit,
      triggering_interaction_metadata: { ...base, type: InteractionType.ApplicationCommand },
    };
  }
  return { ...base, type: InteractionType.ApplicationCommand };
}

function messageWrite(
  request: RestRequest,
  data: Record<string, unknown> | undefined,
): MessageWrite {
  return { body: (data ?? {}) as MessageWrite["body"], files: request.files, via: request.via };
}

function fromComponent(rec: InteractionRecord): boolean {
  return rec.sourceMessageId !== undefined;
}

/** Applies an accepted callback to the channel, as Discord does, and returns the message touched. */
function apply(
  world: World,
  rec: InteractionRecord,
  request: RestRequest,
  body: CallbackBody,
): APIMessage | undefined {
  const invalid = () =>
    new RestError(
      400,
      Codes.InvalidFormBody,
      "Interaction response type is invalid for this interaction",
    );
  const { state } = world;
  const source = () => messageOrThrow(world, rec.channelId, rec.sourceMessageId ?? "");
  const extras = {
    webhookId: state.ids.application,
    interactionMetadata: metadata(world, rec),
    allowEphemeral: true,
    type:
      rec.type === InteractionType.ApplicationCommand
        ? MessageType.ChatInputCommand
        : MessageType.Default,
  };
  switch (body.type) {
    case Cb.ChannelMessageWithSource: {
      if (rec.type === InteractionType.ApplicationCommandAutocomplete) throw invalid();
      const message = createMessage(world, rec.channelId, messageWrite(request, body.data), extras);
      rec.originalId = message.id;
      return message;
    }
    case Cb.DeferredChannelMessageWithSource: {
      if (rec.type === InteractionType.ApplicationCommandAutocomplete) throw invalid();
      const write = messageWrite(request, { flags: body.data?.flags ?? 0 });
      const message = createMessage(world, rec.channelId, write, { ...extras, loading: true });
      rec.originalId = message.id;
      return message;
    }
    case Cb.DeferredMessageUpdate:
      if (!fromComponent(rec)) throw invalid();
      rec.originalId = rec.sourceMessageId;
      return source();
    case Cb.UpdateMessage: {
      if (!fromComponent(rec)) throw invalid();
      rec.originalId = rec.sourceMessageId;
      return editMessage(world, source(), messageWrite(request, body.data));
    }
    case Cb.ApplicationCommandAutocompleteResult:
      if (rec.type !== InteractionType.ApplicationCommandAutocomplete) throw invalid();
      return undefined;
    case Cb.Modal: {
      if (rec.type === InteractionType.ModalSubmit) throw invalid();
      const modal = body.data as unknown as APIModalInteractionResponseCallbackData;
      validateModal(modal);
      rec.modal = modal;
      return undefined;
    }
    default:
      throw invalid();
  }
}

function callback(world: World, rules: InteractionRules, request: RestRequest) {
  const { state } = world;
  const rec = state.interactions.get(request.params.id ?? "");
  if (!rec || rec.token !== request.params.token)
    throw notFound(Codes.UnknownInteraction, "interaction");
  const body = (request.body ?? {}) as CallbackBody;
  const flags = Number(body.data?.flags ?? 0);
  const attempt: InteractionCallback = {
    type: body.type,
    body: { type: body.type, ...(body.data !== undefined ? { data: body.data } : {}) },
    flags,
    ephemeral: (flags & MessageFlags.Ephemeral) !== 0,
    allowedMentions: body.data?.allowed_mentions as APIAllowedMentions | null | undefined,
    files: request.files,
    latencyMs: performance.now() - rec.dispatchedAt,
    withResponse: request.query.get("with_response") === "true",
    accepted: false,
  };
  rec.attempts.push(attempt);
  const waiters = rec.waiters.splice(0);
  for (const resolve of waiters) resolve(attempt);
  if (attempt.latencyMs > rules.callbackDeadlineMs) {
    return refuse(attempt, notFound(Codes.UnknownInteraction, "interaction"));
  }
  if (rec.attempts.some((a) => a.accepted)) {
    return refuse(
      attempt,
      new RestError(
        400,
        Codes.InteractionAlreadyAcknowledged,
        "Interaction has already been acknowledged.",
      ),
    );
  }
  let message: APIMessage | undefined;
  try {
    message = apply(world, rec, request, body);
  } catch (error) {
    if (error instanceof RestError) return refuse(attempt, error);
    throw error;
  }
  attempt.accepted = true;
  if (!attempt.withResponse) return noContent();
  const result: RESTPostAPIInteractionCallbackWithResponseResult = {
    interaction: {
      id: rec.id,
      type: rec.type,
      ...(message
        ? {
            response_message_id: message.id,
            response_message_loading: ((message.flags ?? 0) & MessageFlags.Loading) !== 0,
            response_message_ephemeral: isEphemeral(message),
          }
        : {}),
    },
    resource: { type: body.type, ...(message ? { message: structuredClone(message) } : {}) },
  };
  return ok(result);
}

function refuse(attempt: InteractionCallback, error: RestError): never {
  attempt.error = { status: error.status, code: error.code, message: error.message };
  throw error;
}

/** The interaction webhook: valid once the interaction is acknowledged, for that app id only. */
function webhookRecord(world: World, request: RestRequest): InteractionRecord {
  const { state } = world;
  const { appId, token } = request.params;
  const rec = [...state.interactions.values()].find((r) => r.token === token);
  if (appId !== state.ids.application || !rec || !rec.attempts.some((a) => a.accepted)) {
    throw notFound(Codes.UnknownWebhook, "Webhook");
  }
  return rec;
}

function webhookMessage(world: World, rec: InteractionRecord, messageId: string): APIMessage {
  const id = messageId === "@original" ? rec.originalId : messageId;
  const owned = id !== undefined && (id === rec.originalId || rec.followUpIds.includes(id));
  if (!owned) throw notFound(Codes.UnknownMessage, "Message");
  return messageOrThrow(world, rec.channelId, id);
}

function loading(message: APIMessage): boolean {
  return ((message.flags ?? 0) & MessageFlags.Loading) !== 0;
}

export function interactionRoutes(world: World, rules: InteractionRules): Route[] {
  const messageRoute = "/webhooks/:appId/:token/messages/:messageId";
  return [
    {
      method: "POST",
      pattern: "/interactions/:id/:token/callback",
      auth: false,
      handle: (request) => callback(world, rules, request),
    },
    {
      method: "GET",
      pattern: messageRoute,
      auth: false,
      handle: (request) => {
        const rec = webhookRecord(world, request);
        return ok(webhookMessage(world, rec, request.params.messageId ?? ""));
      },
    },
    {
      method: "PATCH",
      pattern: messageRoute,
      auth: false,
      handle: (request) => {
        const rec = webhookRecord(world, request);
        const message = webhookMessage(world, rec, request.params.messageId ?? "");
        return ok(
          editMessage(
            world,
            message,
            messageWrite(request, request.body as Record<string, unknown>),
          ),
        );
      },
    },
    {
      method: "DELETE",
      pattern: messageRoute,
      auth: false,
      handle: (request) => {
        const rec = webhookRecord(world, request);
        deleteMessage(world, webhookMessage(world, rec, request.params.messageId ?? ""));
        return noContent();
      },
    },
    {
      method: "POST",
      pattern: "/webhooks/:appId/:token",
      auth: false,
      handle: (request) => {
        const rec = webhookRecord(world, request);
        const write = messageWrite(request, request.body as Record<string, unknown>);
        const original = rec.originalId
          ? world.state.messages.get(rec.channelId)?.get(rec.originalId)
          : undefined;
        // Discord: the first follow-up after a deferred reply fills the "thinking…" message.
        const message =
          original && loading(original)
            ? editMessage(world, original, write)
            : createMessage(world, rec.channelId, write, {
                webhookId: world.state.ids.application,
                interactionMetadata: metadata(world, rec),
                allowEphemeral: true,
              });
        if (message.id !== rec.originalId) rec.followUpIds.push(message.id);
        // Without ?wait=true Discord answers 204 (discord.js always asks to wait).
        return request.query.get("wait") === "true" ? ok(message) : noContent();
      },
    },
  ];
}
