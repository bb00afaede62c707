import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { HttpError } from "./errors.js";

export const SIGNATURE_HEADER = "x-steward-signature";
export const TIMESTAMP_HEADER = "x-steward-timestamp";
/** Standard Webhooks (standardwebhooks.com): the id, the timestamp and the body are signed. */
export const STANDARD_ID_HEADER = "webhook-id";
export const STANDARD_TIMESTAMP_HEADER = "webhook-timestamp";
export const STANDARD_SIGNATURE_HEADER = "webhook-signature";
/** A signed request older (or newer) than this is refused, so a captured one cannot be replayed later. */
export const SIGNATURE_TOLERANCE_MS = 5 * 60 * 1000;

/** What a verified request proves: who signed it, and the id it signed if its scheme has one. */
export interface Verified {
  /** Standard Webhooks' `webhook-id`: covered by the signature, so a replay cannot change it. */
  signedId?: string;
  /** The signature itself: the same signed bytes sent twice are the same delivery. */
  signature: string;
}

/**
 * The Steward scheme: `X-Steward-Signature: sha256=<hex>` where hex is the HMAC-SHA256, keyed
 * with the webhook's secret, of `${timestamp}.${rawBody}`; `timestamp` is the value of
 * `X-Steward-Timestamp` (unix seconds). Signing the timestamp binds it to the body, so an old
 * delivery cannot be replayed with a fresh timestamp.
 */
export function signWebhook(secret: string, timestamp: string, body: Buffer | string): string {
  return `sha256=${hmac(Buffer.from(secret), `${timestamp}.`, body).toString("hex")}`;
}

function hmac(key: Buffer, prefix: string, body: Buffer | string): Buffer {
  return createHmac("sha256", key).update(prefix).update(body).digest();
}

type Header = string | string[] | undefined;

/** Throws a 401 HttpError unless the request is signed with `secret` (either scheme) and fresh. */
export function verifyDelivery(request: {
  secret: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  nowMs: number;
}): Verified {
  const { headers } = request;
  if (headers[STANDARD_SIGNATURE_HEADER] !== undefined) return verifyStandard(request);
  const signature = headers[SIGNATURE_HEADER];
  const timestamp = headers[TIMESTAMP_HEADER];
  if (typeof signature !== "string" || signature === "") {
    throw new HttpError(401, "missing_signature", "X-Steward-Signature is required.");
  }
  const seconds = timestampOf(timestamp, "X-Steward-Timestamp");
  const given = /^sha256=([0-9a-f]{64})$/i.exec(signature)?.[1];
  const expected = hmac(Buffer.from(request.secret), `${seconds}.`, request.body);
  if (given === undefined || !sameMac(Buffer.from(given, "hex"), expected)) {
    throw new HttpError(
      401,
      "bad_signature",
      "X-Steward-Signature does not match: expected sha256=HMAC-SHA256(secret, timestamp + '.' + body).",
    );
  }
  checkFresh(seconds, request.nowMs, "X-Steward-Timestamp");
  return { signature: signature.toLowerCase() };
}

/**
 * Standard Webhooks: `webhook-signature` lists `v1,<base64>` signatures (space-separated, one
 * must match) of HMAC-SHA256 over `${webhook-id}.${webhook-timestamp}.${body}`. The key is
 * the secret after `whsec_`, base64-decoded; a secret without the prefix is used as written.
 */
function verifyStandard(request: {
  secret: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  nowMs: number;
}): Verified {
  const { headers, secret } = request;
  const id = headers[STANDARD_ID_HEADER];
  const signatures = headers[STANDARD_SIGNATURE_HEADER];
  if (typeof id !== "string" || id === "") {
    throw new HttpError(
      401,
      "missing_webhook_id",
      "webhook-id is required with webhook-signature.",
    );
  }
  const seconds = timestampOf(headers[STANDARD_TIMESTAMP_HEADER], "webhook-timestamp");
  const key = secret.startsWith("whsec_")
    ? Buffer.from(secret.slice("whsec_".length), "base64")
    : Buffer.from(secret);
  const expected = hmac(key, `${id}.${seconds}.`, request.body);
  const matches = String(signatures)
    .split(" ")
    .some((entry) => {
      const [version, mac] = entry.split(",", 2);
      return version === "v1" && mac !== undefined && sameMac(Buffer.from(mac, "base64"), expected);
    });
  if (!matches) {
    throw new HttpError(
      401,
      "bad_signature",
      "webhook-signature does not match: expected v1,base64(HMAC-SHA256(key, id + '.' + timestamp + '.' + body)).",
    );
  }
  checkFresh(seconds, request.nowMs, "webhook-timestamp");
  return { signedId: id, signature: `v1,${expected.toString("base64")}` };
}

function timestampOf(value: Header, name: string): string {
  if (typeof value !== "string" || value === "") {
    throw new HttpError(401, "missing_timestamp", `${name} is required.`);
  }
  if (!/^\d{1,12}$/.test(value)) {
    throw new HttpError(401, "bad_timestamp", `${name} must be unix seconds.`);
  }
  return value;
}

/** Checked after the signature, so only an authentic request learns that it is stale. */
function checkFresh(seconds: string, nowMs: number, name: string): void {
  if (Math.abs(nowMs - Number(seconds) * 1000) > SIGNATURE_TOLERANCE_MS) {
    throw new HttpError(
      401,
      "stale_timestamp",
      `${name} is more than 5 minutes from now; sign the delivery again.`,
    );
  }
}

/** Constant-time, and false (not a throw) when the lengths differ. */
function sameMac(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}
