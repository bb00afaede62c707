import type { WebhookConfig } from "../../config/schema.js";
import type { BriefField } from "../../core/brief.js";
import type { FieldValues, RawRequest } from "../../intake/intake.js";
import { HttpError } from "./errors.js";

export const DELIVERY_HEADER = "x-steward-delivery";
const MAX_DELIVERY_KEY = 200;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Deeper than any real payload; a recursive walk of far deeper JSON overflows the stack. */
export const MAX_JSON_DEPTH = 64;

/** The raw bytes as a JSON object, or a 400 that says what is wrong with them (never quoting them). */
export function parseBody(body: Buffer): Record<string, Json> {
  const text = body.toString("utf8");
  if (nestingDepth(text) > MAX_JSON_DEPTH) {
    throw new HttpError(
      400,
      "too_deeply_nested",
      `The JSON nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays.`,
    );
  }
  let parsed: Json;
  try {
    parsed = JSON.parse(text) as Json;
  } catch (error) {
    // V8's message quotes the body; only the position is repeated.
    const at = /position (\d+)/.exec((error as Error).message)?.[1];
    const where = at === undefined ? "" : ` (at character ${at})`;
    throw new HttpError(400, "invalid_json", `The body is not valid JSON${where}.`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new HttpError(400, "invalid_json", "The body must be a JSON object.");
  }
  return parsed;
}

/** The deepest nesting of `{` and `[` outside strings, in one pass without recursion. */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return deepest;
}

/** `ticket.subject` reads body.ticket.subject; own properties only, so `__proto__` finds nothing. */
export function readPath(body: Json, path: string): Json | undefined {
  let current: Json | undefined = body;
  for (const key of path.split(".")) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, key)) {
      return undefined;
    }
    current = (current as Record<string, Json>)[key];
  }
  return current;
}

function asText(value: Json): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value, null, 2);
}

function asField(value: Json | undefined): string | string[] | undefined {
  if (value === undefined || value === null) return undefined;
  return Array.isArray(value) ? value.filter((item) => item !== null).map(asText) : asText(value);
}

/**
 * The delivery's idempotency key. A signed id decides (Standard Webhooks' `webhook-id`, or the
 * body field `idempotency_field` names); only when neither is configured does the unsigned
 * `X-Steward-Delivery` header count, since a replay can carry any header it likes.
 */
function deliveryKey(
  delivery: DeliveryIds,
  body: Json,
  webhook: WebhookConfig,
): string | undefined {
  let key: string | undefined;
  if (delivery.signedId !== undefined) {
    key = delivery.signedId;
  } else if (webhook.idempotency_field !== undefined) {
    const value = readPath(body, webhook.idempotency_field);
    key = typeof value === "string" || typeof value === "number" ? String(value) : undefined;
  } else if (typeof delivery.header === "string" && delivery.header !== "") {
    key = delivery.header;
  }
  if (key !== undefined && (key.length > MAX_DELIVERY_KEY || /[\p{Cc}]/u.test(key))) {
    throw new HttpError(
      400,
      "invalid_delivery_key",
      `The delivery key must be at most ${MAX_DELIVERY_KEY} printable characters.`,
    );
  }
  return key;
}

/** What identifies a delivery: the signature, the id it signed, the unsigned header. */
export interface DeliveryIds {
  header: string | string[] | undefined;
  signature: string;
  signedId?: string;
}

/**
 * A verified delivery → the request intake understands: the configured `fields` mapping when
 * there is one, otherwise the `text_field` as free text.
 */
export function toRawRequest(
  name: string,
  webhook: WebhookConfig,
  body: Record<string, Json>,
  delivery: DeliveryIds,
): RawRequest {
  const source = `webhook:${name}`;
  const mapping = Object.entries(webhook.fields) as [BriefField, string][];
  const fields: FieldValues = {};
  let text: string | undefined;
  if (mapping.length > 0) {
    for (const [field, path] of mapping) {
      const value = asField(readPath(body, path));
      if (value !== undefined) fields[field] = value;
    }
  } else {
    const value = readPath(body, webhook.text_field);
    text = value === undefined || value === null ? undefined : asText(value);
  }
  const requesterValue =
    webhook.requester_field === undefined ? undefined : readPath(body, webhook.requester_field);
  const requester =
    typeof requesterValue === "string" && requesterValue.trim() !== ""
      ? requesterValue.trim()
      : typeof requesterValue === "number"
        ? String(requesterValue)
        : source;
  const key = deliveryKey(delivery, body, webhook);
  return {
    source,
    requester,
    text,
    fields,
    category: webhook.category,
    // Without a key from the sender, the signature itself: the same signed bytes replayed
    // inside the 5-minute window file nothing new.
    dedupeKey: key ?? `signature:${delivery.signature}`,
    sourceRef: key === undefined ? { webhook: name } : { webhook: name, delivery: key },
  };
}
