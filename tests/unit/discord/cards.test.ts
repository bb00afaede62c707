import { describe, expect, it } from "vitest";
import { stateLine } from "../../../src/adapters/discord/cards.js";
import { task } from "../console/fixtures.js";

const probe = { failureClass: "systemic" };
const failed = { failureClass: "transient" };

describe("a task card's state line", () => {
  it.each([
    [{ state: "running", attempts: 3, maxAttempts: 5 }, [probe, probe], "running · attempt 1 of 3"],
    [{ state: "running", attempts: 2, maxAttempts: 3 }, [failed], "running · attempt 2 of 3"],
    [{ state: "done", attempts: 2, maxAttempts: 4 }, [probe], "done · first attempt"],
  ] as const)(
    "%j after %j reads %s: probes of a worker that was down are not attempts",
    (overrides, attempts, line) => {
      expect(stateLine(task(overrides), attempts)).toBe(line);
    },
  );
});
