import { describe, expect, it } from "vitest";
import { cardNonce, once, outboxNonces } from "../../../src/adapters/discord/nonce.js";
import type { PendingMessage } from "../../../src/core/outbox.js";

const pending = (over: Partial<PendingMessage> = {}): PendingMessage => ({
  id: 7,
  key: "done:3",
  message: { kind: "task_done", taskId: 3, destination: { kind: "reply" } },
  attempts: 0,
  createdAt: 1_765_000_000_000,
  ...over,
});

describe("outbox nonces", () => {
  it("are the same on every attempt of one message, by any process, and fit Discord's 25", () => {
    const first = outboxNonces(pending())("done");
    const retried = outboxNonces(pending({ attempts: 3 }))("done");
    expect(retried).toEqual(first);
    expect(first.enforceNonce).toBe(true);
    expect(first.nonce.length).toBeLessThanOrEqual(25);
  });

  it("differ between posts of one message, between messages, and between databases", () => {
    const nonces = [
      outboxNonces(pending())("done"),
      outboxNonces(pending())("card:3"),
      outboxNonces(pending({ id: 8 }))("done"),
      // Another database's message #7, same key: queued at another moment.
      outboxNonces(pending({ createdAt: 1_765_000_000_001 }))("done"),
    ].map(({ nonce }) => nonce);
    expect(new Set(nonces).size).toBe(nonces.length);
  });

  it("a task's card has one nonce, whichever message posts it, and it fits too", () => {
    const card = cardNonce({ id: 3, createdAt: 1_765_000_000_000 });
    expect(cardNonce({ id: 3, createdAt: 1_765_000_000_000 })).toEqual(card);
    expect(cardNonce({ id: 4, createdAt: 1_765_000_000_000 }).nonce).not.toBe(card.nonce);
    expect(cardNonce({ id: 3, createdAt: 1_765_000_000_001 }).nonce).not.toBe(card.nonce);
    expect(card.nonce.length).toBeLessThanOrEqual(25);
  });

  it("are added only while an outbox message is delivered", () => {
    expect(once({}, "done")).toEqual({});
    expect(once({ nonces: outboxNonces(pending()) }, "done")).toMatchObject({ enforceNonce: true });
  });
});
