import { describe, expect, it } from "vitest";
import { Serial } from "../../../src/core/serial.js";

const later = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("Serial", () => {
  it("runs a job at once when nothing runs, and answers with a promise", async () => {
    const serial = new Serial();
    let ran = false;
    const answer = serial.run(() => {
      ran = true;
      return 1;
    });
    expect(ran).toBe(true);
    expect(serial.busy).toBe(false);
    await expect(answer).resolves.toBe(1);
  });

  it("runs jobs one at a time, in the order handed over, awaits included", async () => {
    const serial = new Serial();
    const order: string[] = [];
    const first = serial.run(async () => {
      order.push("first starts");
      await later();
      order.push("first ends");
    });
    const second = serial.run(() => order.push("second"));
    const third = serial.run(async () => {
      order.push("third starts");
      await later();
      order.push("third ends");
    });
    expect(serial.busy).toBe(true);
    await Promise.all([first, second, third]);
    expect(order).toEqual(["first starts", "first ends", "second", "third starts", "third ends"]);
    await serial.idle();
    expect(serial.busy).toBe(false);
  });

  it("a job that throws or rejects stops none after it", async () => {
    const serial = new Serial();
    const thrown = serial.run(() => {
      throw new Error("at once");
    });
    const rejected = serial.run(async () => {
      await later();
      throw new Error("later");
    });
    const after = serial.run(() => "still runs");
    await expect(thrown).rejects.toThrow("at once");
    await expect(rejected).rejects.toThrow("later");
    await expect(after).resolves.toBe("still runs");
  });
});
