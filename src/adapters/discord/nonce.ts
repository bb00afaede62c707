import { createHash } from "node:crypto";
import type { PendingMessage } from "../../core/outbox.js";

/**
 * What a create-message request adds so Discord creates it once: sent again with the same nonce
 * in the same channel (a deliverer's retry, or its successor re-sending what it had sent but
 * not marked delivered when it was killed), Discord returns the message already created.
 * Discord remembers a nonce for "a few minutes" only.
 */
export interface Once {
  nonce: string;
  enforceNonce: true;
}

/** The nonce of each message one outbox message creates, by what it is (`"card:4"`, `"done"`). */
export type Nonces = (send: string) => Once;

/**
 * Derived from the outbox message, never drawn at random: the same on every attempt, by any
 * process. Its time as well as its id, so another database's message #1 (a fresh install on the
 * same bot) is not mistaken for this one. Discord takes 25 characters: `o` and 96 bits of hash.
 */
export function outboxNonces(pending: PendingMessage): Nonces {
  const identity = `${pending.id}:${pending.createdAt}:${pending.key}`;
  return (send) => ({
    nonce: `o${createHash("sha256").update(`${identity}:${send}`).digest("hex").slice(0, 24)}`,
    enforceNonce: true,
  });
}

/** The send's nonce while an outbox message is delivered; none for a reply to a person. */
export function once(ctx: { nonces?: Nonces }, send: string): Partial<Once> {
  return ctx.nonces?.(send) ?? {};
}
