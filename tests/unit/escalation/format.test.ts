import { describe, expect, it } from "vitest";
import type { FailureClass } from "../../../src/core/failures.js";
import type { Task } from "../../../src/core/task.js";
import {
  CARD_LIMITS,
  cardSize,
  type EscalationView,
  fitWords,
  formatEscalation,
  QUESTIONS,
} from "../../../src/escalation/format.js";

const at = Date.UTC(2026, 10, 24, 10, 2);

function task(id: number, overrides: Partial<Task> = {}): Task {
  return {
    id,
    state: "escalated",
    objective: "Answer the refund request from Dana about order 1182",
    inputs: [],
    constraints: [],
    outputFormat: "reply",
    acceptanceCriteria: ["polite"],
    missingFields: [],
    feedback: [],
    category: "support",
    routing: {
      category: "support",
      classifier: "rules",
      rule: "support.keywords",
      score: 0.8,
      matched: ["refund"],
      explanation: "keyword",
    },
    priority: 0,
    attempts: 3,
    maxAttempts: 3,
    nextRunAt: at,
    leaseOwner: null,
    leaseExpiresAt: null,
    parentId: null,
    nextId: null,
    requester: "U42",
    source: "discord:message",
    sourceRef: {},
    dedupeKey: null,
    output: null,
    outputMeta: null,
    deliveredAt: null,
    failureClass: "transient",
    lastError: "connect ECONNREFUSED 127.0.0.1:8080",
    createdAt: at,
    updatedAt: at,
    stateSince: at,
    ...overrides,
  };
}

function view(failureClass: FailureClass | null, members = 1): EscalationView {
  return {
    id: 7,
    summary: "support failed",
    failureClass,
    category: "support",
    worker: failureClass === null ? null : "support-agent",
    urgent: failureClass === "systemic",
    createdAt: at,
    categories: ["support", "content", "research"],
    members: Array.from({ length: members }, (_, index) => ({
      task: task(40 + index),
      reason: "retries exhausted after 3 attempts",
      resolution: null,
      attempts: [1, 2, 3].map((number) => ({
        number,
        startedAt: at + number * 60_000,
        endedAt: at + number * 60_000 + 2_000,
        outcome: "failed",
        failureClass: failureClass ?? "transient",
        error: "connect ECONNREFUSED 127.0.0.1:8080",
      })),
    })),
  };
}

const classes: (FailureClass | null)[] = ["transient", "input", "logic", "systemic", null];

describe("the escalation card", () => {
  it.each(classes)("answers all four questions for a %s failure", (failureClass) => {
    const card = formatEscalation(view(failureClass));
    expect(card.fields.map((field) => field.name)).toEqual([
      QUESTIONS.trying,
      QUESTIONS.wrong,
      QUESTIONS.tried,
      QUESTIONS.decision,
    ]);
    const [trying, wrong, tried, decision] = card.fields.map((field) => field.value);
    expect(trying).toContain("Answer the refund request");
    expect(trying).toContain("support");
    expect(trying).toContain("U42");
    expect(trying).toContain("discord:message");
    expect(wrong).toContain(failureClass ?? "no category fits");
    expect(tried).toContain("#1 2026-11-24 10:03 UTC (2s) failed");
    expect(decision).toMatch(/\*\*(Retry|Reroute|Edit brief)\*\*/);
    expect(card.ref).toBe("E-7");
  });

  it("names the requester as the interface shows a person, not as a raw user id", () => {
    const card = formatEscalation(view("transient"), (id) => `<@${id}>`);
    expect(card.fields[0]?.value).toContain("requested by <@U42> via discord:message");
  });

  it("offers Edit brief only for input failures, and no Retry when nothing fits", () => {
    expect(formatEscalation(view("input")).actions).toEqual(["retry", "reroute", "cancel", "edit"]);
    expect(formatEscalation(view("transient")).actions).toEqual(["retry", "reroute", "cancel"]);
    expect(formatEscalation(view(null)).actions).toEqual(["reroute", "cancel"]);
  });

  it("a group of 60 tasks still fits Discord's limits, summarised rather than cut", () => {
    const card = formatEscalation(view("transient", 60));
    for (const field of card.fields)
      expect(field.value.length).toBeLessThanOrEqual(CARD_LIMITS.fieldValue);
    expect(card.title.length).toBeLessThanOrEqual(CARD_LIMITS.title);
    expect(cardSize(card)).toBeLessThanOrEqual(CARD_LIMITS.total);
    expect(card.fields[2]?.value).toMatch(/… and \d+ more lines/);
    expect(card.fields[0]?.value).toContain("60 tasks");
    expect(card.taskIds).toHaveLength(60);
  });

  it("a very long error is shortened at a word boundary", () => {
    const long = `${"timeout while contacting the upstream model ".repeat(40)}end`;
    const base = view("transient");
    base.members[0]!.task = task(40, { lastError: long });
    const wrong = formatEscalation(base).fields[1]!.value;
    expect(wrong.length).toBeLessThanOrEqual(CARD_LIMITS.fieldValue);
    expect(wrong).toMatch(/upstream…|model…|contacting…|timeout…|while…|the…/);
  });

  it("task text cannot break the card's formatting", () => {
    const base = view("transient");
    base.members[0]!.task = task(40, {
      objective: "**urgent** fix `prod` > now",
      lastError: "boom_boom",
    });
    const [trying, wrong] = formatEscalation(base).fields.map((field) => field.value);
    expect(trying).toContain("\\*\\*urgent\\*\\* fix \\`prod\\` \\> now");
    expect(wrong).toContain("boom\\_boom");
  });

  it("fitWords never cuts inside a word", () => {
    expect(fitWords("alpha beta gamma delta", 14)).toBe("alpha beta…");
    expect(fitWords("short", 10)).toBe("short");
  });

  it("a resolved escalation shows who did what and offers no buttons", () => {
    const resolved = { ...view("transient"), resolved: { resolution: "retried", by: "U1", at } };
    const card = formatEscalation(resolved);
    expect(card.actions).toEqual([]);
    expect(card.footer).toContain("Resolved: retried by U1");
  });
});
