import type { WebhookConfig } from "../../config/schema.js";
import type { BriefField } from "../../core/brief.js";
import type { FieldValues, RawRequest } from "../../intake/intake.js";
import { HttpError } from "./errors.js";

export const DELIVERY_HEADER = "x-steward-delivery";
const MAX_DELIVERY_KEY = 200;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The raw bytes as a JSON object, or a 400 that says what is wrong with them. */
export function parseBody(body: Buffer): Record<string, Json> {
  let parsed: Json;
  try {
    parsed = JSON.parse(body.toString("utf8")) as Json;
  } catch (error) {
    throw new HttpError(400, "invalid_json", `The body is not JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new HttpError(400, "invalid_json", "The body must be a JSON object.");
  }
  return parsed;
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

/** The delivery's idempotency key: the header wins, then the configured body field. */
function deliveryKey(
  header: string | string[] | undefined,
  body: Json,
  webhook: WebhookConfig,
): string | undefined {
  const fromBody =
    webhook.idempotency_field === undefined ? undefined : readPath(body, webhook.idempotency_field);
  const key =
    typeof header === "string" && header !== ""
      ? header
      : typeof fromBody === "string" || typeof fromBody === "number"
        ? String(fromBody)
        : undefined;
  if (key !== undefined && (key.length > MAX_DELIVERY_KEY || /[\p{Cc}]/u.test(key))) {
    throw new HttpError(
      400,
      "invalid_delivery_key",
      `The delivery key must be at most ${MAX_DELIVERY_KEY} printable characters.`,
    );
  }
  return key;
}

/**
 * A verified delivery → the request intake understands: the configured `fields` mapping when
 * there is one, otherwise the `text_field` as free text.
 */
export function toRawRequest(
  name: string,
  webhook: WebhookConfig,
  body: Record<string, Json>,
  delivery: { header: string | string[] | undefined; signature: string },
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
  const key = deliveryKey(delivery.header, body, webhook);
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
