import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { type Clock, systemClock } from "../../../src/core/clock.js";
import { ServerClock } from "../../../src/db/pg/server-clock.js";
import { postgresDatabase } from "../../postgres.js";
import { eventually } from "../../steward-process.js";

/** This host's clock, `skew.ms` off the true time (the server's, here on the same host). */
function skewedBy(skew: { ms: number }): Clock {
  return { now: () => Date.now() + skew.ms, setTimer: systemClock.setTimer };
}

const pools: pg.Pool[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.end().catch(() => undefined);
});

async function pool(): Promise<pg.Pool> {
  const made = new pg.Pool({ connectionString: await postgresDatabase() });
  pools.push(made);
  return made;
}

describe("the server's time", () => {
  it("follows a host clock stepped while it runs, at the next measurement", async () => {
    const skew = { ms: -30_000 };
    const clock = new ServerClock(skewedBy(skew), await pool(), 100);
    await clock.start();
    try {
      expect(Math.abs(clock.now() - Date.now())).toBeLessThan(250);
      // NTP steps the host's clock forward a minute.
      skew.ms = 30_000;
      await eventually(
        () => (Math.abs(clock.now() - Date.now()) < 250 ? true : undefined),
        "the server's time again",
        5_000,
      );
      expect(Math.abs(clock.offsetMs + 30_000)).toBeLessThan(250);
    } finally {
      clock.stop();
    }
  });

  it("keeps the last offset while the server cannot be asked, and writes whole milliseconds", async () => {
    const reachable = await pool();
    const clock = new ServerClock(skewedBy({ ms: 12_345 }), reachable, 50);
    await clock.start();
    try {
      const offset = clock.offsetMs;
      expect(Number.isInteger(offset)).toBe(true);
      await reachable.end();
      // Several measurements fail meanwhile: nothing thrown, nothing unhandled, the offset kept.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(clock.offsetMs).toBe(offset);
      expect(Number.isInteger(clock.now())).toBe(true);
    } finally {
      clock.stop();
    }
  });
});
