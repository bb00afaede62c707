import { beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_KINDS, showMessage } from "../../../src/adapters/console/deliver.js";
import { askFields, fieldValue, type Question } from "../../../src/adapters/console/guided.js";
import { isMoving, settle } from "../../../src/adapters/console/settle.js";
import { OutboxPump } from "../../../src/adapters/outbox-pump.js";
import { ManualClock } from "../../../src/core/clock.js";
import { StewardError } from "../../../src/core/errors.js";
import { silentLogger } from "../../../src/core/log.js";
import type { OutboxKind, OutboxMessage, PendingMessage } from "../../../src/core/outbox.js";
import type { EscalationRow } from "../../../src/db/schema.js";
import type { TaskDetail } from "../../../src/engine/engine.js";
import type { EscalationCard } from "../../../src/escalation/format.js";
import { detail, group, T0, VIEW } from "./fixtures.js";

beforeAll(() => {
  // The reminder's stamp is local time; pin the zone so the expected text is the same everywhere.
  process.env.TZ = "UTC";
});

/** An in-memory outbox that records what was done with each message. */
function fakeOutbox(messages: OutboxMessage[]) {
  const queue: PendingMessage[] = messages.map((message, i) => ({
    id: i + 1,
    key: `k${i + 1}`,
    message,
    attempts: 0,
    createdAt: 0,
  }));
  const delivered: number[] = [];
  const failed: { id: number; error: string }[] = [];
  const asked: (readonly OutboxKind[] | undefined)[] = [];
  return {
    delivered,
    failed,
    asked,
    pending: async (limit: number, kinds?: readonly OutboxKind[]) => {
      asked.push(kinds);
      return queue
        .splice(0, limit)
        .filter((m) => kinds === undefined || kinds.includes(m.message.kind));
    },
    claim: async () => {
      throw new Error("one process: the pump reads, it does not claim");
    },
    markDelivered: async (id: number) => void delivered.push(id),
    markFailed: async (id: number, error: string) => void failed.push({ id, error }),
  };
}

/**
 * Just enough engine for the cards: T-1 is done, T-4 (and the other `waiting` tasks) wait in
 * group E-3, nothing else exists.
 */
function fakeEngine(markedDelivered: number[], waiting: readonly number[] = [4]) {
  const e3 = group(waiting);
  return {
    detail: async (taskId: number): Promise<TaskDetail> => {
      if (waiting.includes(taskId))
        return detail({ id: taskId, state: "escalated", failureClass: "transient" });
      if (taskId !== 1) throw new StewardError("task_not_found", `T-${taskId} does not exist`);
      return detail({ id: 1, state: "done", attempts: 1, output: "the draft" });
    },
    markDelivered: async (taskId: number) => void markedDelivered.push(taskId),
    openAnomalies: async () => [],
    escalationCard: async (id: number): Promise<EscalationCard> => {
      if (id !== 3) throw new StewardError("escalation_not_found", `E-${id} does not exist`);
      return e3.card;
    },
    openEscalationOf: async (taskId: number) => (waiting.includes(taskId) ? e3Row : undefined),
    escalation: async (id: number): Promise<EscalationRow | undefined> =>
      id === 3 ? e3Row : undefined,
    clock: { now: () => T0 + 4 * 3_600_000 },
  };
}

const e3Row: EscalationRow = {
  id: 3,
  state: "open",
  rootCause: "transient|content|demo-writer|timed out",
  failureClass: "transient",
  category: "content",
  worker: "demo-writer",
  summary: "1 task in `content` failed (transient): timed out after 1m",
  urgent: false,
  createdAt: T0,
  postAfter: T0,
  postedAt: T0,
  remindedAt: null,
  resolvedAt: null,
  resolution: null,
  resolvedBy: null,
};

const pending = (message: OutboxMessage, id = 1): PendingMessage => ({
  id,
  key: `k${id}`,
  message,
  attempts: 0,
  createdAt: 0,
});

describe("outbox delivery", () => {
  it("the console leaves outputs bound for files and webhooks to the output pump", () => {
    expect(CONSOLE_KINDS).not.toContain("deliver_output");
    expect(CONSOLE_KINDS).toEqual(
      expect.arrayContaining(["task_done", "clarification", "task_escalated", "escalation"]),
    );
  });

  it("prints each card in order; one that cannot render is retried later, the rest go on", async () => {
    const outbox = fakeOutbox([
      { kind: "task_done", taskId: 1, destination: { kind: "reply" } },
      { kind: "task_done", taskId: 2, destination: { kind: "reply" } },
      { kind: "reminder", escalationId: 3 },
    ]);
    const written: string[] = [];
    const markedDelivered: number[] = [];
    const pump = new OutboxPump({
      outbox,
      clock: new ManualClock(),
      logger: silentLogger,
      kinds: CONSOLE_KINDS,
      committed: async () => {},
      deliver: async (pending) =>
        await showMessage(fakeEngine(markedDelivered), VIEW, (text) => written.push(text), pending),
    });
    await pump.drain();
    expect(outbox.asked).toEqual([CONSOLE_KINDS]);
    expect(written).toEqual([
      "✓ T-1 done · content · 0ms, 1 attempt\n  the draft",
      [
        "⏰ E-3 is still waiting for a decision (opened 2026-01-05 09:00:00, 4h ago)",
        "  What:      1 task in content failed (transient): timed out after 1m",
        "  Tasks:     T-4",
        "  Actions:   retry E-3  ·  reroute E-3 <support|research>  ·  cancel E-3",
      ].join("\n"),
    ]);
    expect(outbox.delivered).toEqual([1, 3]);
    expect(outbox.failed).toEqual([{ id: 2, error: "T-2 does not exist" }]);
    // The printed done card is the reply reaching its requester.
    expect(markedDelivered).toEqual([1]);
  });

  it("the group of a task whose card was just printed is a pointer, not the card again", async () => {
    const engine = fakeEngine([]);
    const written: string[] = [];
    const shown = new Set<number>();
    const write = (text: string) => written.push(text);
    const escalation: OutboxMessage = { kind: "escalation", escalationId: 3 };
    // Without the task's card in this session (say, printed before a restart): the whole card.
    await showMessage(engine, VIEW, write, pending(escalation), shown);
    expect(written[0]).toContain("  What went wrong");
    await showMessage(
      engine,
      VIEW,
      write,
      pending({ kind: "task_escalated", taskId: 4, reason: "retries exhausted" }),
      shown,
    );
    expect(written[1]).toContain("⚠ T-4 escalated — needs your decision");
    await showMessage(engine, VIEW, write, pending(escalation), shown);
    expect(written[2]).toBe(
      [
        "⚠ E-3 · 1 task in content failed (transient): timed out after 1m",
        "  Covers:    T-4 (its four questions are in the T-4 card above)",
        "  Actions:   retry E-3  ·  reroute E-3 <support|research>  ·  cancel E-3",
      ].join("\n"),
    );
  });

  it("one root cause is one card: the first task's four questions, one line for the next, a short group card", async () => {
    const engine = fakeEngine([], [4, 5]);
    const written: string[] = [];
    const shown = new Set<number>();
    const write = (text: string) => written.push(text);
    for (const taskId of [4, 5]) {
      const message: OutboxMessage = {
        kind: "task_escalated",
        taskId,
        reason: "retries exhausted",
      };
      await showMessage(engine, VIEW, write, pending(message), shown);
    }
    await showMessage(engine, VIEW, write, pending({ kind: "escalation", escalationId: 3 }), shown);
    expect(written[0]).toContain("⚠ T-4 escalated — needs your decision");
    // The task's card names the escalation it waits in.
    expect(written[0]).toContain("  Escalation: E-3 (tasks that fail the same way join it)");
    expect(written[1]).toBe(
      [
        "⚠ T-5 escalated too: it joins E-3 (same cause) — retries exhausted",
        "  Actions:   retry T-5  ·  reroute T-5 <support|research>  ·  cancel T-5",
      ].join("\n"),
    );
    expect(written[2]).toBe(
      [
        "⚠ E-3 · 2 tasks in content failed (transient): timed out after 1m",
        "  Covers:    T-4, T-5 (the four questions are in the T-4 card above)",
        "  Actions:   retry E-3  ·  reroute E-3 <support|research>  ·  cancel E-3",
        "  One task only: the same with its id, e.g. reroute T-4 <category> or cancel T-5",
      ].join("\n"),
    );
  });

  it("a group that cannot be loaded is not printed, so it is retried", async () => {
    await expect(
      showMessage(fakeEngine([]), VIEW, () => {}, pending({ kind: "escalation", escalationId: 8 })),
    ).rejects.toThrow("E-8 does not exist");
  });

  it("a done card for a file output does not count as delivering it", async () => {
    const markedDelivered: number[] = [];
    const message: OutboxMessage = {
      kind: "task_done",
      taskId: 1,
      destination: { kind: "file", path: "out/x.md" },
    };
    await showMessage(fakeEngine(markedDelivered), VIEW, () => {}, {
      id: 1,
      key: "k",
      message,
      attempts: 0,
      createdAt: 0,
    });
    expect(markedDelivered).toEqual([]);
  });
});

describe("guided prompt", () => {
  it("asks each field in turn; an empty answer skips, list answers split on ;", async () => {
    const answers = ["Draft a post", "", "no jargon; British spelling", "", "under 500 words"];
    const asked: string[] = [];
    const ask = async (question: Question) => {
      asked.push(question.label);
      return answers.shift();
    };
    const values = await askFields(
      ["objective", "inputs", "constraints", "output_format", "acceptance_criteria"],
      ask,
    );
    expect(asked).toEqual([
      "Objective",
      "Inputs",
      "Constraints",
      "Output format",
      "Acceptance criteria",
    ]);
    expect(values).toEqual({
      objective: "Draft a post",
      constraints: ["no jargon", "British spelling"],
      acceptance_criteria: ["under 500 words"],
    });
  });

  it("stopping half-way files nothing", async () => {
    const answers = ["Draft a post"];
    const values = await askFields(["objective", "inputs"], async () => answers.shift());
    expect(values).toBeUndefined();
  });

  it("a single answer becomes the field's value", () => {
    expect(fieldValue("objective", "  a; b ")).toBe("a; b");
    expect(fieldValue("inputs", " ; ")).toBeUndefined();
  });
});

describe("settling", () => {
  it.each([
    ["queued", 0, true],
    ["running", 0, true],
    ["reviewing", 0, true],
    ["retry_wait", 500, true],
    ["retry_wait", 5000, false],
    ["needs_clarification", 0, false],
    ["escalated", 0, false],
    ["done", 0, false],
  ] as const)("%s (due at %d, horizon 1000) moving: %s", (state, nextRunAt, moving) => {
    expect(isMoving({ state, nextRunAt }, 1000)).toBe(moving);
  });

  it("waits until the task stops moving", async () => {
    const states = ["queued", "running", "done"] as const;
    let polls = 0;
    const still = await settle(
      {
        moving: async () => [],
        task: async () => ({ state: states[Math.min(polls++, 2)]!, nextRunAt: 0 }),
        now: () => 0,
      },
      { taskId: 4 },
    );
    expect(still).toEqual([]);
    expect(polls).toBe(3);
  });

  it("gives up after its timeout and says what is still moving", async () => {
    const still = await settle(
      {
        moving: async () => [4, 5],
        task: async () => ({ state: "queued", nextRunAt: 0 }),
        now: () => 0,
      },
      { timeoutMs: 150 },
    );
    expect(still).toEqual([4, 5]);
  });
});
