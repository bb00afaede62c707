import {
  AllowedMentionsTypes,
  type APIAllowedMentions,
  type APIEmbed,
  type APIModalInteractionResponseCallbackData,
  ComponentType,
  MessageFlags,
} from "discord-api-types/v10";
import { Codes, type FieldError, invalidFormBody, RestError } from "./errors.js";

/** The message fields the fake validates, common to channel messages, webhooks and callbacks. */
export interface MessageBody {
  content?: string | null;
  embeds?: APIEmbed[] | null;
  components?: unknown[] | null;
  allowed_mentions?: APIAllowedMentions | null;
  flags?: number | null;
  sticker_ids?: string[];
  poll?: unknown;
}

/** The component fields the checks read; covers rows, buttons, selects, text inputs and labels. */
interface LooseComponent {
  type: number;
  custom_id?: string;
  label?: string;
  url?: string;
  sku_id?: string;
  value?: string;
  placeholder?: string;
  description?: string;
  options?: { label?: string; value?: string; description?: string }[];
  components?: LooseComponent[];
  component?: LooseComponent;
}

type Path = (string | number)[];

function maxLength(errors: FieldError[], path: Path, value: string | undefined, max: number) {
  if (value !== undefined && value.length > max) {
    errors.push({
      path,
      code: "BASE_TYPE_MAX_LENGTH",
      message: `Must be ${max} or fewer in length.`,
    });
  }
}

function required(errors: FieldError[], path: Path, value: string | undefined) {
  if (value === undefined || value === "") {
    errors.push({ path, code: "BASE_TYPE_REQUIRED", message: "This field is required" });
  }
}

function checkEmbeds(errors: FieldError[], embeds: APIEmbed[]) {
  maxLength(errors, ["embeds"], "x".repeat(embeds.length), 10);
  let total = 0;
  embeds.forEach((embed, i) => {
    const at = (...rest: Path): Path => ["embeds", i, ...rest];
    maxLength(errors, at("title"), embed.title, 256);
    maxLength(errors, at("description"), embed.description, 4096);
    maxLength(errors, at("footer", "text"), embed.footer?.text, 2048);
    maxLength(errors, at("author", "name"), embed.author?.name, 256);
    maxLength(errors, at("fields"), "x".repeat(embed.fields?.length ?? 0), 25);
    total += (embed.title ?? "").length + (embed.description ?? "").length;
    total += (embed.footer?.text ?? "").length + (embed.author?.name ?? "").length;
    embed.fields?.forEach((field, j) => {
      required(errors, at("fields", j, "name"), field.name);
      required(errors, at("fields", j, "value"), field.value);
      maxLength(errors, at("fields", j, "name"), field.name, 256);
      maxLength(errors, at("fields", j, "value"), field.value, 1024);
      total += field.name.length + field.value.length;
    });
  });
  if (total > 6000) {
    errors.push({
      path: ["embeds"],
      code: "MAX_EMBED_SIZE_EXCEEDED",
      message: "Embed size exceeds maximum size of 6000",
    });
  }
}

function checkInteractive(errors: FieldError[], path: Path, c: LooseComponent, ids: Set<string>) {
  if (c.custom_id !== undefined) {
    maxLength(errors, [...path, "custom_id"], c.custom_id, 100);
    if (ids.has(c.custom_id)) {
      errors.push({
        path: [...path, "custom_id"],
        code: "COMPONENT_CUSTOM_ID_DUPLICATED",
        message: "Component custom id cannot be duplicated",
      });
    }
    ids.add(c.custom_id);
  }
  if (c.type === ComponentType.Button) {
    maxLength(errors, [...path, "label"], c.label, 80);
    if (c.custom_id === undefined && c.url === undefined && c.sku_id === undefined) {
      required(errors, [...path, "custom_id"], c.custom_id);
    }
    return;
  }
  maxLength(errors, [...path, "placeholder"], c.placeholder, 150);
  if (c.type === ComponentType.StringSelect) {
    const options = c.options ?? [];
    if (options.length === 0 || options.length > 25) {
      errors.push({
        path: [...path, "options"],
        code: "BASE_TYPE_BAD_LENGTH",
        message: "Must be between 1 and 25 in length.",
      });
    }
    options.forEach((option, k) => {
      maxLength(errors, [...path, "options", k, "label"], option.label, 100);
      maxLength(errors, [...path, "options", k, "value"], option.value, 100);
      maxLength(errors, [...path, "options", k, "description"], option.description, 100);
    });
  }
}

function checkComponents(errors: FieldError[], components: LooseComponent[], v2: boolean) {
  if (v2) return; // Components v2 layouts have their own, looser limits; only rows are checked.
  maxLength(errors, ["components"], "x".repeat(components.length), 5);
  const ids = new Set<string>();
  components.forEach((row, i) => {
    if (row.type !== ComponentType.ActionRow) {
      errors.push({
        path: ["components", i, "type"],
        code: "UNION_TYPE_CHOICES",
        message: 'Value of field "type" must be one of (1,).',
      });
      return;
    }
    const children = row.components ?? [];
    const selects = children.filter((c) => c.type !== ComponentType.Button).length;
    if (children.length === 0 || children.length > 5 || (selects > 0 && children.length > 1)) {
      errors.push({
        path: ["components", i, "components"],
        code: "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
        message: "The specified component exceeds the maximum width",
      });
    }
    children.forEach((c, j) => {
      checkInteractive(errors, ["components", i, "components", j], c, ids);
    });
  });
}

function checkAllowedMentions(errors: FieldError[], allowed: APIAllowedMentions) {
  const parse = allowed.parse ?? [];
  const clash = (type: AllowedMentionsTypes, ids: string[] | undefined, name: string) => {
    if (parse.includes(type) && ids !== undefined && ids.length > 0) {
      errors.push({
        path: ["allowed_mentions"],
        code: "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
        message: `parse:["${type}"] and ${name}: [ids...] are mutually exclusive.`,
      });
    }
  };
  clash(AllowedMentionsTypes.User, allowed.users, "users");
  clash(AllowedMentionsTypes.Role, allowed.roles, "roles");
}

/**
 * Rejects what Discord rejects, with Discord's error shape, so an over-long escalation card
 * fails here exactly as it would in production.
 */
export function validateMessage(
  body: MessageBody,
  options: { creating: boolean; files: number; keptAttachments?: number },
): void {
  const errors: FieldError[] = [];
  maxLength(errors, ["content"], body.content ?? undefined, 2000);
  if (body.embeds) checkEmbeds(errors, body.embeds);
  const v2 = ((body.flags ?? 0) & MessageFlags.IsComponentsV2) !== 0;
  if (body.components) checkComponents(errors, body.components as LooseComponent[], v2);
  if (body.allowed_mentions) checkAllowedMentions(errors, body.allowed_mentions);
  if (errors.length > 0) throw invalidFormBody(errors);
  const empty =
    !body.content &&
    !body.embeds?.length &&
    !body.components?.length &&
    !body.sticker_ids?.length &&
    !body.poll &&
    options.files === 0 &&
    !options.keptAttachments;
  if (options.creating && empty) {
    throw new RestError(400, Codes.EmptyMessage, "Cannot send an empty message");
  }
}

/** A modal: title ≤ 45, 1–5 rows or labels, text inputs with label ≤ 45 and value ≤ 4000. */
export function validateModal(modal: APIModalInteractionResponseCallbackData): void {
  const errors: FieldError[] = [];
  required(errors, ["data", "title"], modal.title);
  maxLength(errors, ["data", "title"], modal.title, 45);
  required(errors, ["data", "custom_id"], modal.custom_id);
  maxLength(errors, ["data", "custom_id"], modal.custom_id, 100);
  const rows = modal.components as LooseComponent[];
  if (rows.length === 0 || rows.length > 5) {
    errors.push({
      path: ["data", "components"],
      code: "BASE_TYPE_BAD_LENGTH",
      message: "Must be between 1 and 5 in length.",
    });
  }
  const ids = new Set<string>();
  rows.forEach((row, i) => {
    const inputs =
      row.type === ComponentType.Label
        ? [row.component]
        : row.type === ComponentType.ActionRow
          ? (row.components ?? [])
          : [];
    if (row.type === ComponentType.Label) {
      maxLength(errors, ["data", "components", i, "label"], row.label, 45);
      maxLength(errors, ["data", "components", i, "description"], row.description, 100);
    }
    inputs.forEach((input, j) => {
      if (!input) return;
      const path: Path = ["data", "components", i, "components", j];
      if (input.type === ComponentType.TextInput) {
        if (row.type === ComponentType.ActionRow) {
          required(errors, [...path, "label"], input.label);
          maxLength(errors, [...path, "label"], input.label, 45);
        }
        maxLength(errors, [...path, "value"], input.value, 4000);
        maxLength(errors, [...path, "placeholder"], input.placeholder, 100);
      }
      checkInteractive(errors, path, { ...input, placeholder: undefined }, ids);
    });
  });
  if (errors.length > 0) throw invalidFormBody(errors);
}
