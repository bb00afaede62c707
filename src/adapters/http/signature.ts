import { createHmac, timingSafeEqual } from "node:crypto";
import { HttpError } from "./errors.js";

export const SIGNATURE_HEADER = "x-steward-signature";
export const TIMESTAMP_HEADER = "x-steward-timestamp";
/** A signed request older (or newer) than this is refused, so a captured one cannot be replayed later. */
export const SIGNATURE_TOLERANCE_MS = 5 * 60 * 1000;

/**
 * The signing scheme: `X-Steward-Signature: sha256=<hex>` where hex is the HMAC-SHA256, keyed
 * with the webhook's secret, of `${timestamp}.${rawBody}`; `timestamp` is the value of
 * `X-Steward-Timestamp` (unix seconds). Signing the timestamp binds it to the body, so an old
 * delivery cannot be replayed with a fresh timestamp.
 */
export function signWebhook(secret: string, timestamp: string, body: Buffer | string): string {
  const hmac = createHmac("sha256", secret);
  hmac.update(`${timestamp}.`);
  hmac.update(body);
  return `sha256=${hmac.digest("hex")}`;
}

type Header = string | string[] | undefined;

/** Throws a 401 HttpError unless the request is signed with `secret` and fresh at `nowMs`. */
export function verifySignature(request: {
  secret: string;
  signature: Header;
  timestamp: Header;
  body: Buffer;
  nowMs: number;
}): void {
  const { signature, timestamp } = request;
  if (typeof signature !== "string" || signature === "") {
    throw new HttpError(401, "missing_signature", "X-Steward-Signature is required.");
  }
  if (typeof timestamp !== "string" || timestamp === "") {
    throw new HttpError(401, "missing_timestamp", "X-Steward-Timestamp is required.");
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    throw new HttpError(401, "bad_timestamp", "X-Steward-Timestamp must be unix seconds.");
  }
  const given = /^sha256=([0-9a-f]{64})$/i.exec(signature)?.[1];
  const expected = signWebhook(request.secret, timestamp, request.body).slice("sha256=".length);
  // Both sides are 32 bytes once decoded, as timingSafeEqual requires.
  const matches =
    given !== undefined &&
    timingSafeEqual(Buffer.from(given.toLowerCase(), "hex"), Buffer.from(expected, "hex"));
  if (!matches) {
    throw new HttpError(
      401,
      "bad_signature",
      "X-Steward-Signature does not match: expected sha256=HMAC-SHA256(secret, timestamp + '.' + body).",
    );
  }
  if (Math.abs(request.nowMs - Number(timestamp) * 1000) > SIGNATURE_TOLERANCE_MS) {
    throw new HttpError(
      401,
      "stale_timestamp",
      "X-Steward-Timestamp is more than 5 minutes from now; sign the delivery again.",
    );
  }
}
