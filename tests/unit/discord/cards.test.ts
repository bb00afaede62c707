import { describe, expect, it } from "vitest";
import { stateLine, taskCard } from "../../../src/adapters/discord/cards.js";
import { loadConfigFile } from "../../../src/config/load.js";
import { event, task } from "../console/fixtures.js";

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

describe("a task card's filled-in fields", () => {
  it("names the fields intake filled in and where from, as its first event recorded them", () => {
    const config = loadConfigFile("config/steward.yaml", {});
    const filed = event({
      data: {
        rule: "intake agent",
        filled: {
          output_format: "the intake agent (inferred)",
          acceptance_criteria: "the intake agent (inferred)",
          constraints: "the intake agent",
        },
      },
    });
    const card = taskCard(task(), config, { events: [filed], attempts: [] });
    expect(card.fields).toContainEqual({
      name: "Filled in",
      value:
        "output format, acceptance criteria (from the intake agent (inferred)); constraints (from the intake agent)",
    });
  });
});
