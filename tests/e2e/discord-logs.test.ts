import { describe, expect, it } from "vitest";
import {
  cardOf,
  type Steward,
  startStewardForEachTest,
  until,
  waitForState,
} from "./steward-harness.js";

let steward: Steward;
startStewardForEachTest((started) => {
  steward = started;
});

const messages = () => steward.logs.map((line) => `${line.level} ${line.message}`);

describe("Discord: what the log says", () => {
  it("a dropped gateway is logged as it reconnects and as it comes back", async () => {
    const { fake } = steward;
    const resumed = fake.waitForGateway("resumed");
    await fake.dropGateway();
    await resumed;
    await until(() => messages().includes("info discord: gateway resumed"), "resumed logged");
    expect(messages()).toEqual(
      expect.arrayContaining([
        "warn discord: gateway reconnecting",
        "info discord: gateway resumed",
      ]),
    );
  });

  it("a rate limit is logged with its route and wait, and the post still goes out", async () => {
    const { fake } = steward;
    const limited = fake.failRest({
      status: 429,
      retryAfter: 0.2,
      times: 1,
      match: (method, path) => method === "POST" && path.startsWith("/channels/"),
    });
    const complete = fake.slashCommand(
      "task",
      { objective: "Answer the refund ticket from Cy", acceptance: "ok" },
      fake.ids.member,
    );
    await cardOf(complete);
    await waitForState(steward, 1, "done");
    await until(() => limited.hits === 1, "the 429 answered");
    const line = await until(
      () => steward.logs.find((entry) => entry.message.startsWith("discord: rate limited on POST")),
      "the rate limit logged",
    );
    expect(line).toMatchObject({
      level: "warn",
      message: expect.stringMatching(/^discord: rate limited on POST \/channels\//),
      context: { global: false, retry_after_ms: expect.any(Number) },
    });
    // Discord's 0.2 s, plus the offset discord.js adds.
    expect(line.context?.retry_after_ms).toBeGreaterThanOrEqual(200);
    await until(
      () => fake.messages(fake.ids.intakeChannel).some((m) => m.content.includes("T-1** is done")),
      "the output posted after the wait",
      20_000,
    );
  });
});
