import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/core/clock.js";
import { openPostgresStore } from "../../../src/db/pg/store.js";
import type { Store } from "../../../src/db/store.js";
import { postgresDatabase } from "../../postgres.js";

const MESSAGES = 300;

let stores: Store<"async">[];
beforeAll(async () => {
  const url = await postgresDatabase();
  const clock = new ManualClock(1_000);
  // Two processes, each with a pool of its own.
  stores = [await openPostgresStore(url, clock), await openPostgresStore(url, clock)];
});
afterAll(() => Promise.all(stores.map((store) => store.close())));

/** Claims and delivers until nothing is due: what it sent, in order. */
async function deliverer(store: Store<"async">, batch: number): Promise<number[]> {
  const sent: number[] = [];
  for (;;) {
    const claimed = await store.outbox.claim(batch, 60_000);
    if (claimed.length === 0) return sent;
    for (const message of claimed) {
      sent.push(message.id);
      await new Promise((resolve) => setImmediate(resolve));
      await store.outbox.markDelivered(message.id);
    }
  }
}

describe("outbox delivery on PostgreSQL", () => {
  it("deliverers in two processes racing over the same messages send each exactly once", async () => {
    for (let i = 0; i < MESSAGES; i++)
      await stores[0]!.outbox.add({ kind: "review_report", month: `m${i}` }, `report:${i}`);

    const [a, b, c, d] = await Promise.all([
      deliverer(stores[0]!, 7),
      deliverer(stores[1]!, 7),
      deliverer(stores[0]!, 5),
      deliverer(stores[1]!, 5),
    ]);
    const all = [...a, ...b, ...c, ...d];
    console.log(`sends per deliverer: ${[a, b, c, d].map((sent) => sent.length).join(", ")}`);

    expect(all).toHaveLength(MESSAGES);
    expect(new Set(all).size).toBe(MESSAGES);
    expect(await stores[1]!.outbox.pending(10)).toEqual([]);
  });
});
