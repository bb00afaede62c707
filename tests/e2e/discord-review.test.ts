import { describe, expect, it } from "vitest";
import {
  escalatedCharges,
  type Steward,
  startStewardForEachTest,
  until,
} from "./steward-harness.js";

let steward: Steward;
startStewardForEachTest((started) => {
  steward = started;
});

describe("Discord: the monthly review", () => {
  it("/review lists each escalation in words, with a link to its thread", async () => {
    const { fake, engine } = steward;
    const posted = await escalatedCharges(steward);
    const thread = await until(() => fake.threads(fake.ids.escalationChannel)[0], "its thread");
    expect(thread.id).toBe(posted.id);

    const month = new Date(engine.clock.now()).toISOString().slice(0, 7);
    const handle = fake.slashCommand("review", { month }, fake.ids.member);
    await handle.response();
    const message = await until(
      () => (handle.original()?.attachments.length ? handle.original() : undefined),
      "the report",
      15_000,
    );
    expect(message.content).toMatch(/E-1 +T-1 +open since \S+ \S+ → escalated/);
    expect(message.content).not.toMatch(/\w+\|\w+\|/);
    expect(message.content).toContain(
      `Threads: [E-1](<https://discord.com/channels/${fake.ids.guild}/${thread.id}>)`,
    );
  });

  it("/review with no month on a first run says the last month is empty and offers this one", async () => {
    const { fake, engine } = steward;
    const handle = fake.slashCommand("review", {}, fake.ids.member);
    await handle.response();
    const message = await until(
      () => (handle.original()?.content ? handle.original() : undefined),
      "the answer",
      15_000,
    );
    const now = new Date(engine.clock.now());
    const current = now.toISOString().slice(0, 7);
    expect(message.content).toMatch(/^Nothing to review in \d{4}-\d\d: no task was created/);
    expect(message.content).toContain(`This month so far: \`/review month:${current}\``);
    expect(message.attachments).toEqual([]);
  });
});
