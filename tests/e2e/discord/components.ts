import {
  type APIMessage,
  type APIMessageComponentButtonInteraction,
  type APIMessageComponentSelectMenuInteraction,
  type APIMessageSelectMenuInteractionData,
  type APIModalInteractionResponseCallbackData,
  type APIModalSubmissionComponent,
  type APIModalSubmitGuildInteraction,
  ComponentType,
  InteractionType,
  MessageFlags,
  TextInputStyle,
} from "discord-api-types/v10";
import { dispatchInteraction, type InteractionHandle, interactionBase } from "./interactions.js";
import type { World } from "./messages.js";
import { memberNoUser, userOf } from "./payloads.js";

/** The fields read while looking for a component, whatever its nesting (rows, sections, labels). */
interface Walkable {
  type: number;
  custom_id?: string;
  disabled?: boolean;
  required?: boolean;
  value?: string;
  min_length?: number;
  max_length?: number;
  min_values?: number;
  max_values?: number;
  options?: { value: string }[];
  components?: Walkable[];
  component?: Walkable;
  accessory?: Walkable;
}

function* walk(list: Walkable[]): Generator<Walkable> {
  for (const c of list) {
    yield c;
    if (c.components) yield* walk(c.components);
    if (c.component) yield* walk([c.component]);
    if (c.accessory) yield* walk([c.accessory]);
  }
}

/** A message id, an API message, or a discord.js Message: anything with the id. */
export type MessageRef = string | { id: string };

/** The message as the channel shows it now: a person presses what is there, not a stale copy. */
function current(world: World, ref: MessageRef): APIMessage {
  const id = typeof ref === "string" ? ref : ref.id;
  const message = world.state.findMessage(id);
  if (!message) throw new Error(`fake discord: no message ${id}`);
  return message;
}

function component(message: APIMessage, customId: string): Walkable {
  const all = [...walk((message.components ?? []) as Walkable[])];
  const found = all.find((c) => c.custom_id === customId);
  if (!found) {
    const ids = all.flatMap((c) => (c.custom_id ? [c.custom_id] : []));
    throw new Error(
      `fake discord: message ${message.id} has no component "${customId}" (has ${ids})`,
    );
  }
  if (found.disabled) throw new Error(`fake discord: component "${customId}" is disabled`);
  return found;
}

function visibleTo(world: World, message: APIMessage, userId: string): void {
  const ephemeral = ((message.flags ?? 0) & MessageFlags.Ephemeral) !== 0;
  const owner = world.state.interactions.get(message.interaction_metadata?.id ?? "")?.userId;
  if (ephemeral && owner !== undefined && owner !== userId) {
    throw new Error(`fake discord: user ${userId} cannot see ephemeral message ${message.id}`);
  }
}

/** A person clicking a button on a message (type 3 interaction carrying the message). */
export function pressButton(
  world: World,
  ref: MessageRef,
  customId: string,
  userId: string,
): InteractionHandle<APIMessageComponentButtonInteraction> {
  const message = current(world, ref);
  visibleTo(world, message, userId);
  const found = component(message, customId);
  if (found.type !== ComponentType.Button) {
    throw new Error(`fake discord: "${customId}" is not a button (type ${found.type})`);
  }
  const payload: APIMessageComponentButtonInteraction = {
    ...interactionBase(world, userId, message.channel_id),
    type: InteractionType.MessageComponent,
    message: structuredClone(message),
    data: { custom_id: customId, component_type: ComponentType.Button },
  };
  return dispatchInteraction(world, payload, {
    userId,
    channelId: message.channel_id,
    sourceMessageId: message.id,
  });
}

function selectData(
  world: World,
  found: Walkable,
  customId: string,
  values: string[],
): APIMessageSelectMenuInteractionData {
  const { state } = world;
  const min = found.min_values ?? 1;
  const max = found.max_values ?? 1;
  if (values.length < min || values.length > max) {
    throw new Error(`fake discord: "${customId}" takes ${min}–${max} values, got ${values.length}`);
  }
  const base = { custom_id: customId, values };
  switch (found.type) {
    case ComponentType.StringSelect: {
      const offered = found.options?.map((o) => o.value) ?? [];
      const stray = values.filter((v) => !offered.includes(v));
      if (stray.length > 0) throw new Error(`fake discord: "${customId}" offers no ${stray}`);
      return { ...base, component_type: ComponentType.StringSelect };
    }
    case ComponentType.UserSelect:
      return {
        ...base,
        component_type: ComponentType.UserSelect,
        resolved: {
          users: Object.fromEntries(values.map((id) => [id, userOf(state, id)])),
          members: Object.fromEntries(
            values.map((id) => [
              id,
              { ...memberNoUser(state, id), permissions: state.permissionsOf(id).toString() },
            ]),
          ),
        },
      };
    case ComponentType.RoleSelect:
      return {
        ...base,
        component_type: ComponentType.RoleSelect,
        resolved: {
          roles: Object.fromEntries(
            values.map((id) => {
              const role = state.roles.get(id);
              if (!role) throw new Error(`fake discord: no role ${id}`);
              return [id, role];
            }),
          ),
        },
      };
    default:
      throw new Error(`fake discord: select type ${found.type} of "${customId}" is not simulated`);
  }
}

/** A person choosing values in a select menu (string, user or role select). */
export function chooseOption(
  world: World,
  ref: MessageRef,
  customId: string,
  values: string[],
  userId: string,
): InteractionHandle<APIMessageComponentSelectMenuInteraction> {
  const message = current(world, ref);
  visibleTo(world, message, userId);
  const found = component(message, customId);
  const payload: APIMessageComponentSelectMenuInteraction = {
    ...interactionBase(world, userId, message.channel_id),
    type: InteractionType.MessageComponent,
    message: structuredClone(message),
    data: selectData(world, found, customId, values),
  };
  return dispatchInteraction(world, payload, {
    userId,
    channelId: message.channel_id,
    sourceMessageId: message.id,
  });
}

export type ModalValues = Record<string, string | string[]>;

/** Text inputs not in `values` keep their pre-filled value; required empty ones are refused. */
function textValue(input: Walkable, values: ModalValues): string {
  const id = input.custom_id ?? "";
  const given = values[id];
  const value = Array.isArray(given) ? given.join("\n") : (given ?? input.value ?? "");
  if (value === "" && input.required !== false) {
    throw new Error(`fake discord: the modal's "${id}" is required`);
  }
  if (
    value !== "" &&
    (value.length < (input.min_length ?? 0) || value.length > (input.max_length ?? 4000))
  ) {
    throw new Error(
      `fake discord: "${id}" must be ${input.min_length ?? 0}–${input.max_length ?? 4000} long`,
    );
  }
  return value;
}

function submitted(input: Walkable, values: ModalValues): Walkable & { type: number } {
  const id = input.custom_id ?? "";
  if (input.type === ComponentType.TextInput) {
    return { type: input.type, custom_id: id, value: textValue(input, values) } as Walkable;
  }
  const given = values[id];
  return {
    type: input.type,
    custom_id: id,
    values: Array.isArray(given) ? given : given ? [given] : [],
  } as Walkable;
}

/** Mirrors the modal's layout: rows stay rows of inputs, labels keep their single component. */
function submission(modal: APIModalInteractionResponseCallbackData, values: ModalValues) {
  const rows = modal.components as Walkable[];
  return rows.flatMap((row): Walkable[] => {
    if (row.type === ComponentType.ActionRow) {
      return [
        { type: row.type, components: (row.components ?? []).map((c) => submitted(c, values)) },
      ];
    }
    if (row.type === ComponentType.Label && row.component) {
      return [{ type: row.type, component: submitted(row.component, values) }];
    }
    return [];
  }) as unknown as APIModalSubmissionComponent[];
}

export interface ModalSource {
  /** The interaction the bot answered with a modal (type 9); its modal, channel and message are used. */
  from?: InteractionHandle;
  /** Or a modal described directly: its custom_id and text inputs (custom_id → value). */
  customId?: string;
  channelId?: string;
}

/** A person filling in and submitting a modal the bot opened (type 5 interaction). */
export function submitModal(
  world: World,
  source: ModalSource,
  values: ModalValues,
  userId: string,
): InteractionHandle<APIModalSubmitGuildInteraction> {
  const { state } = world;
  const rec = source.from ? state.interactions.get(source.from.id) : undefined;
  let modal: APIModalInteractionResponseCallbackData;
  if (source.from) {
    if (!rec?.modal) throw new Error(`fake discord: interaction ${source.from.id} opened no modal`);
    modal = rec.modal;
  } else {
    if (!source.customId) throw new Error("fake discord: submitModal needs `from` or `customId`");
    modal = {
      custom_id: source.customId,
      title: "Modal",
      components: Object.keys(values).map((id) => ({
        type: ComponentType.ActionRow,
        components: [
          { type: ComponentType.TextInput, custom_id: id, style: TextInputStyle.Paragraph },
        ],
      })) as APIModalInteractionResponseCallbackData["components"],
    };
  }
  const channelId = rec?.channelId ?? source.channelId ?? state.ids.intakeChannel;
  const sourceMessage = rec?.sourceMessageId
    ? state.messages.get(channelId)?.get(rec.sourceMessageId)
    : undefined;
  const payload: APIModalSubmitGuildInteraction = {
    ...interactionBase(world, userId, channelId),
    type: InteractionType.ModalSubmit,
    ...(sourceMessage ? { message: structuredClone(sourceMessage) } : {}),
    data: {
      custom_id: modal.custom_id,
      components: submission(modal, values),
    },
  };
  return dispatchInteraction(world, payload, {
    userId,
    channelId,
    ...(sourceMessage ? { sourceMessageId: sourceMessage.id } : {}),
  });
}
