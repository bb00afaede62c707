import { describe, expect, it } from "vitest";
import { type Clock, ManualClock, type Timer } from "../../../src/core/clock.js";
import { Deadlines } from "../../../src/workers/deadlines.js";

/** A manual clock that counts the timers set on it. */
class CountingClock extends ManualClock implements Clock {
  timersSet = 0;

  override setTimer(ms: number, fire: () => void): Timer {
    this.timersSet++;
    return super.setTimer(ms, fire);
  }
}

describe("run deadlines", () => {
  it("expires each run at its own deadline, and none that was released", () => {
    const clock = new CountingClock(0);
    const deadlines = new Deadlines(clock);
    const expired: [string, number][] = [];
    deadlines.watch(300, () => expired.push(["slow", clock.now()]));
    const released = deadlines.watch(100, () => expired.push(["released", clock.now()]));
    deadlines.watch(200, () => expired.push(["medium", clock.now()]));
    deadlines.release(released);

    clock.advance(250);
    expect(expired).toEqual([["medium", 200]]);
    clock.advance(1_000);
    expect(expired).toEqual([
      ["medium", 200],
      ["slow", 300],
    ]);
  });

  it("a shorter limit watched after a longer one still expires on time", () => {
    const clock = new ManualClock(0);
    const deadlines = new Deadlines(clock);
    const expired: [string, number][] = [];
    deadlines.watch(60_000, () => expired.push(["long", clock.now()]));
    clock.advance(10);
    deadlines.watch(50, () => expired.push(["short", clock.now()]));

    clock.advance(100);
    expect(expired).toEqual([["short", 60]]);
    clock.advance(60_000);
    expect(expired).toEqual([
      ["short", 60],
      ["long", 60_000],
    ]);
  });

  it("runs that end in time share one timer instead of setting one each", () => {
    const clock = new CountingClock(0);
    const deadlines = new Deadlines(clock);
    for (let run = 0; run < 1_000; run++) {
      deadlines.release(deadlines.watch(5_000, () => expect.unreachable("released in time")));
      clock.advance(1);
    }
    expect(clock.timersSet).toBe(1);
    // The timer fires at the first run's deadline, finds nothing due and is not set again.
    clock.advance(10_000);
    expect(clock.timersSet).toBe(1);
  });

  it("stop forgets every deadline; one watched later arms the timer again", () => {
    const clock = new ManualClock(0);
    const deadlines = new Deadlines(clock);
    const expired: number[] = [];
    deadlines.watch(100, () => expired.push(clock.now()));
    deadlines.stop();
    clock.advance(200);
    expect(expired).toEqual([]);

    deadlines.watch(100, () => expired.push(clock.now()));
    clock.advance(200);
    expect(expired).toEqual([300]);
  });
});
