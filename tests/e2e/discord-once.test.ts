import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { OutboxKind } from "../../src/core/outbox.js";
import { chatRefs, outbox } from "../../src/db/schema.js";
import type { RecordedRequest } from "./discord/server.js";
import {
  cardOf,
  controls,
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

function rowOf(kind: OutboxKind) {
  return steward.database.db.select().from(outbox).where(eq(outbox.kind, kind)).get();
}

/**
 * What the deliverer after a `kill -9` finds when its predecessor was killed once Discord had
 * created the message but before it was marked delivered: the row undelivered, its claim over.
 * Then waits until that message has been delivered a second time.
 */
async function deliverAgain(kind: OutboxKind): Promise<void> {
  await until(() => rowOf(kind)?.deliveredAt != null, `${kind} to be delivered`);
  steward.database.db
    .update(outbox)
    .set({ deliveredAt: null, claimedUntil: null })
    .where(eq(outbox.kind, kind))
    .run();
  await until(() => {
    const row = rowOf(kind);
    return row?.deliveredAt != null && row.attempts === 2;
  }, `${kind} to be delivered again`);
}

function messagePosts(match: (content: string) => boolean): RecordedRequest[] {
  return steward.fake.requests.filter((request) => {
    const body = request.body as { content?: string } | undefined;
    return request.route === "POST /channels/:channelId/messages" && match(body?.content ?? "");
  });
}

/** Files T-1 by /task and waits until it is done: its done notice is then due. */
async function fileUntilDone(): Promise<void> {
  const { fake } = steward;
  const filed = fake.slashCommand(
    "task",
    { objective: "Answer the refund ticket from Cy", acceptance: "ok" },
    fake.ids.member,
  );
  await cardOf(filed);
  await waitForState(steward, 1, "done");
}

describe("Discord: an outbox message sent again is posted once", () => {
  it("a done notice sent again by the next deliverer is one message: Discord returns the first", async () => {
    const { fake } = steward;
    await fileUntilDone();
    await deliverAgain("task_done");

    const isDone = (content: string) => content.includes("T-1** is done");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const posted = fake.messages(fake.ids.intakeChannel).filter((m) => isDone(m.content));
    expect(posted).toHaveLength(1);
    // Sent twice with one nonce; the second answered with the first's message.
    const sends = messagePosts(isDone).map((request) => ({
      body: request.body as { nonce?: string; enforce_nonce?: boolean },
      id: (request.response as { id?: string }).id,
    }));
    expect(sends).toHaveLength(2);
    expect(sends[0]?.body).toMatchObject({ nonce: expect.stringMatching(/^o[0-9a-f]{24}$/) });
    expect(sends.map((send) => send.body.enforce_nonce)).toEqual([true, true]);
    expect(sends[1]?.body.nonce).toBe(sends[0]?.body.nonce);
    expect(sends.map((send) => send.id)).toEqual([posted[0]?.id, posted[0]?.id]);
  });

  it("a notice Discord created but whose answer was lost, tried again, is one message", async () => {
    const { fake } = steward;
    const intake = `/channels/${fake.ids.intakeChannel}/messages`;
    // The first post is carried out and answered 503: discord.js sends it again, as it does.
    const lost = fake.failRest({
      status: 503,
      times: 1,
      lostAnswer: true,
      match: (method, path) => method === "POST" && path === intake,
    });
    await fileUntilDone();
    await until(() => rowOf("task_done")?.deliveredAt != null, "task_done to be delivered");

    const isDone = (content: string) => content.includes("T-1** is done");
    expect(lost.hits).toBe(1);
    expect(messagePosts(isDone).map((request) => request.status)).toEqual([503, 200]);
    expect(fake.messages(fake.ids.intakeChannel).filter((m) => isDone(m.content))).toHaveLength(1);
  });

  it("a card Discord made whose answers were all lost is not posted again by the task's notice", async () => {
    const { fake } = steward;
    const asked = fake.postMessage(
      fake.ids.intakeChannel,
      fake.ids.member,
      "Draft the newsletter about the spring sale",
    );
    // The card's post in the message's thread: carried out, every answer (and retry's) lost.
    const lost = fake.failRest({
      status: 503,
      times: 4,
      lostAnswer: true,
      match: (method, path) => method === "POST" && path === `/channels/${asked.id}/messages`,
    });
    await waitForState(steward, 1, "needs_clarification");
    await until(
      () => fake.messages(asked.id).some((m) => m.content.includes("needs acceptance criteria")),
      "the clarification in the message's thread",
    );
    expect(lost.hits).toBe(4);
    const cards = fake.messages(asked.id).filter((m) => m.embeds.length > 0);
    expect(cards.map((m) => m.embeds[0]?.title?.slice(0, 3))).toEqual(["T-1"]);
    expect(steward.logs.some((log) => log.message.includes("card waits for Discord"))).toBe(true);
  });

  it("an escalation posted but not remembered, sent again: one message, one thread, one intro", async () => {
    const { fake, database } = steward;
    await escalatedCharges(steward);
    const thread = await until(() => fake.threads(fake.ids.escalationChannel)[0], "the thread");
    await until(() => fake.messages(thread.id)[0], "the thread's first message");
    await until(() => rowOf("escalation")?.deliveredAt != null, "escalation to be delivered");
    // Killed after Discord created the message and before its ids were kept.
    database.db
      .delete(chatRefs)
      .where(and(eq(chatRefs.kind, "escalation"), eq(chatRefs.subjectId, 1)))
      .run();
    await deliverAgain("escalation");

    const cards = fake.messages(fake.ids.escalationChannel).filter((m) => controls(m).length > 0);
    expect(cards).toHaveLength(1);
    expect(fake.threads(fake.ids.escalationChannel).map((t) => t.id)).toEqual([cards[0]?.id]);
    expect(fake.messages(thread.id)).toHaveLength(1);
    // The message was asked for twice, the thread found again rather than started twice.
    expect(
      messagePosts(() => true).filter((r) =>
        r.path.endsWith(`/${fake.ids.escalationChannel}/messages`),
      ),
    ).toHaveLength(2);
    const starts = fake.requests.filter(
      (r) => r.path === `/channels/${fake.ids.escalationChannel}/messages/${thread.id}/threads`,
    );
    expect(starts.map((r) => (r.response as { code?: number }).code ?? r.status)).toEqual([
      201, 160004,
    ]);
    expect(await steward.discord.context.refs.escalation(1)).toMatchObject({
      messageId: cards[0]?.id,
      threadId: thread.id,
    });
  });
});
