import type pg from "pg";
import type { Clock, Timer } from "../../core/clock.js";

/** Reads of the server's clock per measurement: the one with the shortest round trip is kept. */
const SAMPLES = 3;
/** How often the offset is measured again: a host without NTP drifts, and NTP may step it. */
const REMEASURE_MS = 5 * 60_000;

/**
 * The PostgreSQL server's time, read through this process's clock corrected by its measured
 * offset. Processes on several hosts compare each other's times (leases, heartbeats, when a
 * message is due, how long a task has waited): on one host's clock, a host 20 s behind would
 * look stopped to the others, and its running tasks would be taken from it and run twice. On
 * the server's, they agree to within a round trip. Timers still run on the local clock: a
 * duration is the same on both.
 */
export class ServerClock implements Clock {
  private offset = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly local: Clock,
    private readonly pool: pg.Pool,
    private readonly remeasureMs = REMEASURE_MS,
  ) {}

  /** Measures the offset now, and again every few minutes until `stop` (a failure keeps the last). */
  async start(): Promise<void> {
    await this.measure();
    this.timer = setInterval(() => {
      this.measure().catch(() => {
        // The database is down: the pool's own warnings say so; the last offset holds.
      });
    }, this.remeasureMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** How far the server's clock is ahead of this host's (behind when negative), in ms. */
  get offsetMs(): number {
    return this.offset;
  }

  now(): number {
    return this.local.now() + this.offset;
  }

  setTimer(ms: number, fire: () => void): Timer {
    return this.local.setTimer(ms, fire);
  }

  /** The server's time against the midpoint of the round trip, from the quickest of a few reads. */
  private async measure(): Promise<void> {
    let best: { roundTrip: number; offset: number } | undefined;
    for (let sample = 0; sample < SAMPLES; sample++) {
      const sent = this.local.now();
      const { rows } = await this.pool.query<{ ms: number }>(
        "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms",
      );
      const received = this.local.now();
      const roundTrip = received - sent;
      if (best !== undefined && roundTrip >= best.roundTrip) continue;
      // Times are stored as whole milliseconds.
      best = { roundTrip, offset: Math.round(rows[0]!.ms - (sent + received) / 2) };
    }
    this.offset = best!.offset;
  }
}
