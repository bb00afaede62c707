import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { startDiscord } from "../../src/adapters/discord/adapter.js";
import { OutboxStore } from "../../src/db/outbox-store.js";
import { outbox } from "../../src/db/schema.js";
import {
  cardOf,
  controls,
  embedOf,
  escalatedCharges,
  type Steward,
  startStewardForEachTest,
  until,
  waitForState,
} from "./steward-harness.js";

let steward: Steward;
startStewardForEachTest((started) => {
  steward = started;
});

describe("Discord: delivery", () => {
  it("while Discord answers 503, notices wait; once it is back each is delivered exactly once", async () => {
    const { fake, engine, database } = steward;
    const doneRow = () =>
      database.db.select().from(outbox).where(eq(outbox.kind, "task_done")).all();
    // Channels fail from the start; interaction replies (the /task cards) still go through.
    const outage = fake.failRest({
      status: 503,
      match: (_method, path) => path.startsWith("/channels/"),
    });
    const complete = fake.slashCommand(
      "task",
      { objective: "Answer the refund ticket from Cy", acceptance: "ok" },
      fake.ids.member,
    );
    // One after the other, so they are T-1 and T-2.
    await cardOf(complete);
    const unclear = fake.slashCommand(
      "task",
      { objective: "Draft the newsletter" },
      fake.ids.member,
    );
    await cardOf(unclear);
    await waitForState(steward, 1, "done");
    const failed = await until(
      () => doneRow().find((row) => row.lastError !== null),
      "the output's delivery to fail",
    );
    expect(failed.deliveredAt).toBeNull();
    const cardId = complete.original()!.id;
    const doneMessages = () =>
      fake.messages(fake.ids.intakeChannel).filter((m) => m.content.includes("T-1** is done"));
    expect(doneMessages()).toHaveLength(0);

    outage.stop();
    await until(() => doneMessages().length > 0, "the output after the outage", 20_000);
    const unclearCard = unclear.original()!.id;
    await until(
      () => fake.messages(unclearCard).some((m) => m.content.includes("needs acceptance criteria")),
      "the clarification after the outage",
      20_000,
    );
    // Give a duplicate every chance to appear before counting.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(doneMessages()).toHaveLength(1);
    expect(doneMessages()[0]?.message_reference?.message_id).toBe(cardId);
    expect(
      fake.messages(unclearCard).filter((m) => m.content.includes("needs acceptance criteria")),
    ).toHaveLength(1);
    expect(await engine.outbox.backlog()).toBe(0);
    expect((await engine.task(1)).deliveredAt).not.toBeNull();
    // The card caught up too.
    await until(
      () => fake.message(cardId)?.embeds[0]?.fields?.some((f) => f.value.startsWith("done")),
      "the card to show done",
      20_000,
    );
  });

  it("messages in the intake channel during an outage get their card where it would have gone", async () => {
    const { fake } = steward;
    const outage = fake.failRest({
      status: 503,
      match: (_method, path) => path.startsWith("/channels/"),
    });
    // One needs nothing more (its card comes with its output), one needs details.
    const complete = fake.postMessage(
      fake.ids.intakeChannel,
      fake.ids.member,
      "Answer the refund ticket from Dee\nDone when: Dee has a reply",
    );
    await waitForState(steward, 1, "done");
    const unclear = fake.postMessage(
      fake.ids.intakeChannel,
      fake.ids.member,
      "Draft the newsletter about the spring sale",
    );
    await waitForState(steward, 2, "needs_clarification");
    outage.stop();
    for (const [posted, id, notice] of [
      [complete, "T-1", "T-1** is done"],
      [unclear, "T-2", "needs acceptance criteria"],
    ] as const) {
      // The thread started from the person's message, as when Discord answers at once.
      await until(
        () => fake.messages(posted.id).some((m) => m.content.includes(notice)),
        `${id}'s notice in the thread of its message`,
        20_000,
      );
      const cards = fake.messages(posted.id).filter((m) => m.embeds.length > 0);
      expect(cards.map((m) => embedOf(m).title?.slice(0, id.length))).toEqual([id]);
    }
    // Nothing was posted on its own in the channel.
    const stray = fake.messages(fake.ids.intakeChannel).filter((m) => m.author.bot);
    expect(stray.map((m) => m.content || m.embeds[0]?.title)).toEqual([]);
  });

  it("a long output is summarised in the message and attached whole as a file", async () => {
    const { fake, engine } = steward;
    const handle = fake.slashCommand("task", {
      objective: "Answer the refund ticket in detail",
      constraints: "long output",
      acceptance: "complete",
    });
    await handle.response();
    await waitForState(steward, 1, "done");
    const message = await until(
      () => fake.messages(fake.ids.intakeChannel).find((m) => m.content.includes("T-1** is done")),
      "the output",
    );
    expect(message.content.length).toBeLessThanOrEqual(2000);
    expect(message.content).toContain("the whole output is attached");
    const file = fake.file(message.attachments[0]!.id);
    expect(file?.name).toBe("T-1-output.md");
    expect(file?.bytes.toString()).toBe((await engine.task(1)).output?.trim());
  });

  it("a pipeline's next step is carded and asked about in the first step's thread", async () => {
    const { fake, engine } = steward;
    const handle = fake.slashCommand("task", {
      objective: "Write the release notes",
      acceptance: "ok",
    });
    await handle.response();
    await waitForState(steward, 1, "done");
    await waitForState(steward, 2, "needs_clarification");
    expect(await engine.task(2)).toMatchObject({ parentId: 1, category: "support" });
    const thread = handle.original()!.id;
    await until(
      () => fake.messages(thread).some((m) => m.embeds[0]?.title?.startsWith("T-2 ·")),
      "T-2's card in T-1's thread",
    );
    await until(
      () => fake.messages(thread).some((m) => controls(m).some((c) => c.id === "task:details:2")),
      "T-2's clarification in the same thread",
    );
    expect(fake.threads()).toHaveLength(1);
  });

  it("the monthly report goes to the reports channel, a reminder to its escalation's thread", async () => {
    const { fake, engine, database } = steward;
    const escalation = await escalatedCharges(steward);
    const month = new Date().toISOString().slice(0, 7);
    // As the review schedule and the status checker queue them, in the engine's database.
    const queued = new OutboxStore(database.db, engine.clock);
    queued.add({ kind: "review_report", month }, `review:${month}`);
    queued.add({ kind: "reminder", escalationId: 1 }, "reminder:1");
    const report = await until(
      () => fake.messages(fake.ids.reportsChannel).find((m) => m.attachments.length > 0),
      "the report",
      15_000,
    );
    expect(report.content).toContain(`Steward review: ${month}`);
    expect(report.attachments.map((a) => a.filename)).toContain(`steward-review-${month}.png`);
    await until(
      () => fake.messages(escalation.id).some((m) => m.content.includes("E-1 still waits")),
      "the reminder in the escalation's thread",
    );
  });

  it("after a restart, a task's later notices still land in its thread", async () => {
    const { fake, engine } = steward;
    const handle = fake.slashCommand("task", { objective: "Draft the blog post" }, fake.ids.member);
    await handle.response();
    const cardId = handle.original()!.id;
    await until(() => fake.messages(cardId).length > 0, "the clarification thread");
    await steward.discord.stop();

    const again = await startDiscord({
      engine,
      token: fake.token,
      apiBase: fake.apiBase,
      logger: { info() {}, warn() {}, error() {} },
      outboxEveryMs: 40,
      progressDebounceMs: 40,
    });
    steward.discord = again;
    await engine.answer(1, { fields: { acceptance_criteria: "has a title" } }, fake.ids.member);
    await waitForState(steward, 1, "done");
    await until(
      () => fake.messages(cardId).some((m) => m.content.includes("T-1** is done")),
      "the output in the same thread",
    );
    expect(fake.threads(fake.ids.intakeChannel)).toHaveLength(1);
  });
});
