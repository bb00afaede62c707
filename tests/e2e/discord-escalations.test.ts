import type { APIMessage } from "discord-api-types/v10";
import { InteractionResponseType } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import {
  controls,
  embedOf,
  escalatedCharges,
  type Steward,
  startStewardForEachTest,
  stateOf,
  until,
  waitForState,
} from "./steward-harness.js";

let steward: Steward;
startStewardForEachTest((started) => {
  steward = started;
});

function disabledEverywhere(message: APIMessage | undefined): boolean {
  const all = controls(message);
  return all.length > 0 && all.every((c) => c.disabled);
}

describe("Discord: escalations", () => {
  it("a failing worker's task is escalated: card and buttons in the escalations channel, its own thread", async () => {
    const { fake, engine } = steward;
    const message = await escalatedCharges(steward);
    const card = embedOf(message);
    expect(card.title).toContain("E-1 ·");
    expect(card.fields?.map((f) => f.name)).toEqual([
      "What Steward was trying to do",
      "What went wrong",
      "What was already tried",
      "What decision is needed",
    ]);
    expect(card.fields?.[1]?.value).toContain("billing API timed out");
    expect(controls(message).map((c) => c.id)).toEqual([
      "esc:retry:1",
      "esc:cancel:1",
      "esc:reroute:1",
    ]);
    const thread = await until(() => fake.threads(fake.ids.escalationChannel)[0], "the thread");
    expect(thread.id).toBe(message.id);
    const intro = await until(() => fake.messages(thread.id)[0], "the thread's first message");
    expect(intro.content).toContain("T-1");
    // The requester hears it in their task's thread; the task card says who decides.
    const cardId = (await until(() => steward.discord.context.refs.task(1), "card ref")).messageId;
    await until(
      () => fake.messages(cardId).some((m) => m.content.includes("needs an operator")),
      "the requester's notice",
    );
    expect((await engine.escalation(1))?.state).toBe("open");
  });

  it("a non-operator's press is refused privately and changes nothing", async () => {
    const { fake, engine } = steward;
    const message = await escalatedCharges(steward);
    const press = fake.pressButton(message, "esc:cancel:1", fake.ids.member);
    const response = await press.response();
    expect(response.ephemeral).toBe(true);
    expect(press.original()?.content).toBe("Only operators can act on escalations.");
    expect(await stateOf(steward, 1)).toBe("escalated");
    expect((await engine.escalation(1))?.state).toBe("open");
    expect(fake.message(message.id)?.edited_timestamp).toBeNull();
    expect(controls(fake.message(message.id)).every((c) => !c.disabled)).toBe(true);
  });

  it("an operator's Retry runs the task again and the message shows who decided, buttons disabled", async () => {
    const { fake, engine } = steward;
    const message = await escalatedCharges(steward);
    steward.billingDown(false);
    const press = fake.pressButton(message, "esc:retry:1");
    expect((await press.response()).type).toBe(InteractionResponseType.UpdateMessage);
    await waitForState(steward, 1, "done");
    const after = fake.message(message.id)!;
    expect(disabledEverywhere(after)).toBe(true);
    expect(embedOf(after).description).toContain(`retried by <@${fake.ids.operator}>`);
    expect(await engine.escalation(1)).toMatchObject({
      state: "resolved",
      resolvedBy: fake.ids.operator,
    });
    const events = await engine.events(1);
    expect(events.some((e) => e.actor === fake.ids.operator && e.data?.action === "retry")).toBe(
      true,
    );
    await until(
      () => fake.messages(message.id).some((m) => m.content.includes("retried T-1")),
      "the decision noted in the thread",
    );
  });

  it("an operator's Reroute moves the task to the chosen category, where it runs", async () => {
    const { fake, engine } = steward;
    const message = await escalatedCharges(steward);
    const choose = fake.chooseOption(message, "esc:reroute:1", ["support"]);
    await choose.response();
    await waitForState(steward, 1, "done");
    expect((await engine.task(1)).category).toBe("support");
    expect(disabledEverywhere(fake.message(message.id))).toBe(true);
    expect(embedOf(fake.message(message.id)).description).toContain("rerouted to support");
  });

  it("an operator's Cancel cancels the task and tells the requester", async () => {
    const { fake } = steward;
    const message = await escalatedCharges(steward);
    await fake.pressButton(message, "esc:cancel:1").response();
    expect(await stateOf(steward, 1)).toBe("cancelled");
    expect(disabledEverywhere(fake.message(message.id))).toBe(true);
    const cardId = (await steward.discord.context.refs.task(1))!.messageId;
    await until(
      () => fake.messages(cardId).some((m) => m.content.includes("was cancelled by")),
      "the cancellation notice",
    );
  });

  it("one root cause, three tasks: one message; act on one task, then on the rest at once", async () => {
    const { fake } = steward;
    const message = await escalatedCharges(steward, 3);
    expect(
      fake.messages(fake.ids.escalationChannel).filter((m) => controls(m).length > 0),
    ).toHaveLength(1);
    expect(embedOf(message).title).toContain("3 tasks");
    expect(controls(message).map((c) => c.id)).toContain("esc:pick:1");

    // One task only: picked from the group's menu, decided on a private panel.
    steward.billingDown(false);
    const pick = fake.chooseOption(message, "esc:pick:1", ["2"]);
    await pick.response();
    const panel = pick.original()!;
    expect(controls(panel).map((c) => c.id)).toEqual([
      "esc:retry:1:2",
      "esc:cancel:1:2",
      "esc:reroute:1:2",
    ]);
    await fake.pressButton(panel, "esc:retry:1:2").response();
    await waitForState(steward, 2, "done");
    expect(await stateOf(steward, 1)).toBe("escalated");
    await until(
      () => embedOf(fake.message(message.id)).description?.includes("T-2 retried"),
      "the group message to show the decision so far",
    );

    // A private panel opened before the group is decided goes stale with it.
    const late = fake.chooseOption(message.id, "esc:pick:1", ["3"]);
    await late.response();

    // The rest together, from the group's own Cancel.
    await fake.pressButton(message.id, "esc:cancel:1").response();
    expect([
      await stateOf(steward, 1),
      await stateOf(steward, 2),
      await stateOf(steward, 3),
    ]).toEqual(["cancelled", "done", "cancelled"]);
    expect(disabledEverywhere(fake.message(message.id))).toBe(true);

    const stale = fake.pressButton(late.original()!, "esc:retry:1:3");
    expect((await stale.response()).ephemeral).toBe(true);
    expect(stale.original()?.content).toContain("E-1 was already resolved");
    expect(await stateOf(steward, 3)).toBe("cancelled");
  });

  it("a task failing the same way after the message is posted joins it: one message, updated", async () => {
    const { fake } = steward;
    const message = await escalatedCharges(steward);
    await fake
      .slashCommand(
        "task",
        { objective: "Charge the late invoice", acceptance: "charged" },
        fake.ids.member,
      )
      .response();
    await waitForState(steward, 2, "escalated");
    await until(
      () => embedOf(fake.message(message.id)).title?.includes("2 tasks"),
      "the message to cover both tasks",
    );
    expect(
      fake.messages(fake.ids.escalationChannel).filter((m) => controls(m).length > 0),
    ).toHaveLength(1);
    expect(controls(fake.message(message.id)).map((c) => c.id)).toContain("esc:pick:1");
  });

  it("an input failure offers Edit brief: an operator completes the brief in a form and it runs", async () => {
    const { fake, engine } = steward;
    await fake
      .slashCommand("task", { objective: "Draft the newsletter" }, fake.ids.member)
      .response();
    await waitForState(steward, 1, "needs_clarification");
    // What the status checker does when nobody answers a clarification.
    await engine.escalate(1, {
      reason: "nobody answered the clarification",
      failureClass: "input",
    });
    const message = await until(
      () => fake.messages(fake.ids.escalationChannel).find((m) => controls(m).length > 0),
      "the escalation",
    );
    expect(controls(message).map((c) => c.id)).toEqual([
      "esc:retry:1",
      "esc:cancel:1",
      "esc:edit:1",
      "esc:reroute:1",
    ]);
    const refused = fake.pressButton(message, "esc:edit:1", fake.ids.member);
    expect((await refused.response()).type).toBe(InteractionResponseType.ChannelMessageWithSource);
    expect(refused.modal()).toBeUndefined();

    const press = fake.pressButton(message, "esc:edit:1");
    expect((await press.response()).type).toBe(InteractionResponseType.Modal);
    const inputs = (
      press.modal()!.components as { components: { custom_id: string; value?: string }[] }[]
    ).flatMap((row) => row.components);
    expect(inputs.map((input) => input.custom_id)).toHaveLength(5);
    expect(inputs.find((input) => input.custom_id === "objective")?.value).toBe(
      "Draft the newsletter",
    );
    await fake
      .submitModal({ from: press }, { acceptance_criteria: "has a subject line" })
      .response();
    await waitForState(steward, 1, "done");
    expect((await engine.task(1)).acceptanceCriteria).toEqual(["has a subject line"]);
    expect(disabledEverywhere(fake.message(message.id))).toBe(true);
    expect(embedOf(fake.message(message.id)).description).toContain("edited by");
  });

  it("a request no category fits is escalated with Reroute and Cancel only", async () => {
    const { fake } = steward;
    await fake
      .slashCommand("task", { objective: "Banana purple elephant", acceptance: "yes" })
      .response();
    await waitForState(steward, 1, "escalated");
    const message = await until(
      () => fake.messages(fake.ids.escalationChannel).find((m) => controls(m).length > 0),
      "the escalation",
    );
    expect(controls(message).map((c) => c.id)).toEqual(["esc:cancel:1", "esc:reroute:1"]);
    await fake.chooseOption(message, "esc:reroute:1", ["content"]).response();
    await waitForState(steward, 1, "done");
  });
});
