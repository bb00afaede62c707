/**
 * The founder's day of issue 16 through Discord, for the items that concern it: the real
 * discord.js client against the loopback Discord server, the engine on a real SQLite file.
 */
import { describe, expect, it } from "vitest";
import { startDiscord } from "../../src/adapters/discord/adapter.js";
import {
  cardOf,
  controls,
  embedOf,
  field,
  type Steward,
  startStewardForEachTest,
  until,
  waitForState,
} from "./steward-harness.js";

let steward: Steward;
startStewardForEachTest((started) => {
  steward = started;
});

describe("a founder's day through Discord", () => {
  it("requests, a reroute then an answer, one card per cause, status, anomalies, a restart", async () => {
    const { fake, engine } = steward;
    const { member } = fake.ids;
    const escalationMessages = () =>
      fake.messages(fake.ids.escalationChannel).filter((m) => controls(m).length > 0);

    // T-1: a message in the intake channel, answered in the thread started from it.
    const ticket = fake.postMessage(
      fake.ids.intakeChannel,
      member,
      "Answer the refund ticket from Ann\nDone when: Ann has a reply",
    );
    await until(
      () => fake.messages(ticket.id).some((m) => m.content.includes("T-1** is done (`support`")),
      "T-1's output in its thread",
    );

    // T-2: fits no category. The operator reroutes it; the requester then adds details, and
    // it runs where the operator put it (item 1).
    await cardOf(fake.slashCommand("task", { objective: "banana purple elephant" }, member));
    await waitForState(steward, 2, "escalated");
    const e1 = await until(() => escalationMessages()[0], "E-1's message");
    // Item 11: the requester is a mention (mentions are disabled), not a raw user id.
    expect(field(embedOf(e1), "What Steward was trying to do")).toContain(
      `requested by <@${member}>`,
    );
    await fake.chooseOption(e1, "esc:reroute:1", ["content"]).response();
    await waitForState(steward, 2, "needs_clarification");
    const card2 = (await steward.discord.context.refs.task(2))!.messageId;
    const prompt = await until(
      () => fake.messages(card2).find((m) => controls(m).some((c) => c.id === "task:details:2")),
      "T-2's question in its thread",
    );
    const press = fake.pressButton(prompt, "task:details:2", member);
    await press.response();
    await fake
      .submitModal({ from: press }, { acceptance_criteria: "three lines" }, member)
      .response();
    await waitForState(steward, 2, "done");
    expect((await engine.task(2)).category).toBe("content");

    // T-3 and T-4: the billing API is down. One message for the cause, and each task's notice
    // names it (item 9).
    steward.billingDown(true);
    for (const client of ["Bo", "Cy"]) {
      await cardOf(
        fake.slashCommand(
          "task",
          { objective: `Charge the invoice for ${client}`, acceptance: "charged" },
          member,
        ),
      );
    }
    await waitForState(steward, 3, "escalated");
    await waitForState(steward, 4, "escalated");
    const e2 = await until(
      () => escalationMessages().find((m) => embedOf(m).title?.startsWith("E-2")),
      "E-2's message",
    );
    expect(embedOf(e2).title).toContain("2 tasks");
    expect(escalationMessages()).toHaveLength(2);
    for (const id of [3, 4]) {
      const card = (await steward.discord.context.refs.task(id))!.messageId;
      await until(
        () =>
          fake
            .messages(card)
            .some(
              (m) => m.content.includes("needs an operator") && m.content.includes("under **E-2**"),
            ),
        `T-${id}'s notice naming E-2`,
      );
    }

    // T-5: waits for details. /status lists what waits on a person, oldest first (item 8).
    fake.postMessage(fake.ids.intakeChannel, member, "Draft the newsletter");
    await waitForState(steward, 5, "needs_clarification");
    const status = fake.slashCommand("status");
    await status.response();
    const overview = embedOf(await until(() => status.original(), "the status overview"));
    expect(field(overview, "Waiting for details (1)")).toMatch(
      /^T-5 · waiting \S+ · needs acceptance criteria · Draft the newsletter$/,
    );
    expect(field(overview, "Open escalations (1)")).toMatch(
      /^E-2 · waiting \S+ · 2 tasks in `billing` failed .* · T-3, T-4$/,
    );

    // The status check's findings, each said in words (item 7).
    await engine.checkNow();
    const found = await until(
      () => fake.messages(fake.ids.escalationChannel).find((m) => m.content.startsWith("🔎")),
      "the anomalies message",
    );
    expect(found.content).toContain(
      "• T-3 was escalated after 1 of 1 attempts · `retries.exhausted`",
    );
    expect(found.content).not.toContain("task:3");

    // A restart says how many things wait on a person (item 8).
    await steward.discord.stop();
    const said: string[] = [];
    steward.discord = await startDiscord({
      engine,
      token: fake.token,
      apiBase: fake.apiBase,
      logger: { info: (line) => void said.push(line), warn() {}, error() {} },
      outboxEveryMs: 40,
      progressDebounceMs: 40,
    });
    expect(said).toContain(
      "discord: waiting on a person: 1 task(s) for details, 1 escalation(s) for a decision; /status lists them",
    );

    // The operator retries the cause once the API is back: both tasks finish.
    steward.billingDown(false);
    await fake.pressButton(e2, "esc:retry:2").response();
    await waitForState(steward, 3, "done");
    await waitForState(steward, 4, "done");
  });
});
