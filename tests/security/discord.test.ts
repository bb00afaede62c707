/**
 * Attacks through Discord, against the real discord.js client and a loopback server speaking
 * Discord's protocol: a member who is not an operator presses escalation buttons, and task
 * text tries to ping everyone.
 */
import { describe, expect, it } from "vitest";
import {
  escalatedCharges,
  type Steward,
  startStewardForEachTest,
  stateOf,
  until,
  waitForState,
} from "../e2e/steward-harness.js";

let steward: Steward;
startStewardForEachTest((started) => {
  steward = started;
});

describe("Discord", () => {
  it("a member who is not an operator presses every escalation button: each is refused privately, nothing changes", async () => {
    const { fake, engine } = steward;
    const message = await escalatedCharges(steward);
    for (const id of ["esc:retry:1", "esc:cancel:1", "esc:reroute:1"]) {
      const press =
        id === "esc:reroute:1"
          ? fake.chooseOption(message, id, ["support"], fake.ids.member)
          : fake.pressButton(message, id, fake.ids.member);
      expect((await press.response()).ephemeral, id).toBe(true);
      expect(press.original()?.content, id).toBe("Only operators can act on escalations.");
    }
    expect(await stateOf(steward, 1)).toBe("escalated");
    expect((await engine.escalation(1))?.state).toBe("open");
    expect(fake.message(message.id)?.edited_timestamp).toBeNull();
  });

  it("@everyone, @here and a role mention in task text ping nobody", async () => {
    const { fake } = steward;
    const loud = `@everyone @here <@&${fake.ids.operatorRole}> refund ticket`;
    await fake
      .slashCommand("task", { objective: loud, acceptance: "@everyone agrees" }, fake.ids.member)
      .response();
    fake.postMessage(fake.ids.intakeChannel, fake.ids.member, `${loud}\nDone when: @here says so`);
    await waitForState(steward, 1, "done");
    await waitForState(steward, 2, "done");
    await until(
      () => fake.mentions.filter((m) => m.content.includes("is done")).length === 2,
      "both outputs",
    );
    // Only the requester was ever pinged (startStewardForEachTest checks no stray pings).
    expect(fake.pings().flatMap((m) => m.pings.users)).toEqual([fake.ids.member, fake.ids.member]);
  });
});
