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

/** Discord takes 25 characters: a letter and 96 bits of hash. */
function hashed(prefix: string, identity: string): Once {
  const hash = createHash("sha256").update(identity).digest("hex").slice(0, 24);
  return { nonce: `${prefix}${hash}`, enforceNonce: true };
}

/**
 * Derived from the outbox message, never drawn at random: the same on every attempt, by any
 * process. Its time as well as its id, so another database's message #1 (a fresh install on the
 * same bot) is not mistaken for this one.
 */
export function outboxNonces(pending: PendingMessage): Nonces {
  const identity = `${pending.id}:${pending.createdAt}:${pending.key}`;
  return (send) => hashed("o", `${identity}:${send}`);
}

/**
 * A task's card is one message whoever posts it: the door that filed the task, or the first
 * notice that finds it missing (the door's post failed, or was made but not kept). So its nonce
 * comes from the task, not from an outbox message.
 */
export function cardNonce(task: { id: number; createdAt: number }): Once {
  return hashed("t", `card:${task.id}:${task.createdAt}`);
}

/** The send's nonce while an outbox message is delivered; none for a reply to a person. */
export function once(ctx: { nonces?: Nonces }, send: string): Partial<Once> {
  return ctx.nonces?.(send) ?? {};
}
