import { describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/core/clock.js";

describe("the manual clock", () => {
  it("fires timers in time order as it passes them, each at its own time", () => {
    const clock = new ManualClock(0);
    const fired: [string, number][] = [];
    clock.setTimer(300, () => fired.push(["late", clock.now()]));
    clock.setTimer(100, () => fired.push(["early", clock.now()]));
    const cancelled = clock.setTimer(200, () => fired.push(["cancelled", clock.now()]));
    cancelled.cancel();

    clock.advance(250);
    expect(fired).toEqual([["early", 100]]);
    expect(clock.now()).toBe(250);

    clock.set(1_000);
    expect(fired).toEqual([
      ["early", 100],
      ["late", 300],
    ]);
  });

  it("a timer set by a firing timer fires in the same advance when it is due", () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    clock.setTimer(10, () => clock.setTimer(10, () => fired.push(clock.now())));
    clock.advance(25);
    expect(fired).toEqual([20]);
  });
});
