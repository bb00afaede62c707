import { beforeAll, describe, expect, it } from "vitest";
import {
  digestCard,
  groupCard,
  groupMessageCard,
  outcomeText,
  plainText,
  reminderCard,
  resolutionText,
  resolvedLine,
  updatedLine,
  wrap,
} from "../../../src/adapters/console/escalation-cards.js";
import { messageCard } from "../../../src/adapters/console/message-cards.js";
import { group, T0, task, VIEW } from "./fixtures.js";

beforeAll(() => {
  // Stamps are local time; pin the zone so the expected text is the same on every machine.
  process.env.TZ = "UTC";
});

describe("escalation group card", () => {
  it("answers the four questions in plain text and acts on the whole group", () => {
    expect(groupCard(group([4, 5]), VIEW)).toBe(
      [
        "⚠ E-3 · 2 tasks in content failed (transient): timed out after 1m",
        "  What Steward was trying to do",
        "    2 tasks (T-4, T-5). First, T-4: Draft a blog post about our launch",
        "    category content · requested by owner via console",
        "  What went wrong",
        "    transient failure in worker demo-writer: timed out after 1m",
        "    retries exhausted after 3 attempts: timed out after 1m",
        "  What was already tried",
        "    T-4: 1 attempt",
        "      #1 2026-01-05 09:00 UTC (3s) failed transient: timed out after 1m",
        "    T-5: 1 attempt",
        "      #1 2026-01-05 09:00 UTC (3s) failed transient: timed out after 1m",
        "  What decision is needed",
        "    The service kept failing after every retry. Retry if it is back, Reroute if another category's",
        "    worker should do it, Cancel if it is no longer needed.",
        "  E-3 · opened 2026-01-05 09:00 UTC · tasks T-4, T-5",
        "  Actions (on the whole group)",
        "    retry E-3",
        "    reroute E-3 <support|research>",
        "    cancel E-3",
        "  One task only: the same with its id, e.g. reroute T-4 <category> or cancel T-5",
      ].join("\n"),
    );
  });

  it("keeps no Discord markdown and no word about buttons or menus", () => {
    const card = groupCard(group([4, 5]), VIEW);
    expect(card).not.toMatch(/\*\*|`/);
    expect(card).not.toMatch(/button|menu/i);
  });

  it("a group of one, shown in full, has no one-task-only line", () => {
    const card = groupCard(group([4]), VIEW);
    expect(card).toContain("  What Steward was trying to do\n    T-4: Draft a blog post");
    expect(card).toContain("  Actions\n    retry E-3\n");
    expect(card).not.toContain("One task only");
  });

  it("a group of one whose task card was shown points at it instead of repeating it", () => {
    expect(groupCard(group([4]), VIEW, new Set([4]))).toBe(
      [
        "⚠ E-3 · 1 task in content failed (transient): timed out after 1m",
        "  Covers:    T-4 (its four questions are in the T-4 card above)",
        "  Actions:   retry E-3  ·  reroute E-3 <support|research>  ·  cancel E-3",
      ].join("\n"),
    );
  });

  // Issue 16 item 9: printing the four questions per task and again per group was the noise.
  it("a group of several whose four questions were shown with a task's card points at it", () => {
    const card = groupCard(group([4, 5]), VIEW, new Set([4]));
    expect(card).not.toContain("What went wrong");
    expect(card).toContain("Covers:    T-4, T-5 (the four questions are in the T-4 card above)");
  });

  it("an input failure offers edit; a request that fits no category offers no retry", () => {
    expect(groupCard(group([4], { failureClass: "input" }), VIEW, new Set([4]))).toContain(
      "retry E-3  ·  reroute E-3 <support|research>  ·  edit E-3  ·  cancel E-3",
    );
    const unsorted = groupCard(group([4], { failureClass: null, category: "unsorted" }), VIEW);
    expect(unsorted).toContain("    reroute E-3 <support|content|research>\n    cancel E-3");
    expect(unsorted).not.toContain("retry E-3");
  });

  it("an urgent group keeps its own mark and wraps long prose under its heading", () => {
    const card = groupCard(
      group([4], {
        urgent: true,
        failureClass: "systemic",
        worker: "llm",
        summary: "llm is down (1 task waiting in `content`): connection refused",
        probeEveryMs: 300_000,
      }),
      VIEW,
    );
    expect(card.split("\n")[0]).toBe(
      "🚨 E-3 · llm is down (1 task waiting in content): connection refused",
    );
    expect(card).toContain("Retry probes now, Reroute moves the waiting tasks elsewhere");
    for (const line of card.split("\n")) expect(line.length).toBeLessThanOrEqual(100);
  });

  it("a group resolved before it was shown is one line", () => {
    const resolved = group([4], {
      resolved: { resolution: "rerouted:research", by: "owner", at: T0 },
    });
    expect(groupCard(resolved, VIEW)).toBe(
      "✓ E-3 · 1 task in content failed (transient): timed out after 1m — already resolved: rerouted to research by owner",
    );
  });
});

describe("escalation group messages", () => {
  const groups = new Map([
    [3, group([4])],
    [5, group([6, 7], { id: 5 })],
  ]);
  const context = { groups, now: T0 + 4 * 3_600_000, shownTasks: new Set([4]) };

  it("a posted group is its card", () => {
    expect(
      messageCard({ kind: "escalation", escalationId: 5 }, undefined, VIEW, { groups: context }),
    ).toContain("⚠ E-5 · 2 tasks in content");
  });

  it("a digest puts every group under one heading", () => {
    const text = groupMessageCard(
      { kind: "escalation_digest", escalationIds: [3, 5] },
      context,
      VIEW,
    );
    expect(text).toBe(digestCard([group([4]), group([6, 7], { id: 5 })], VIEW, new Set([4])));
    const lines = text.split("\n");
    expect(lines[0]).toBe("⚠ 2 escalations held back during quiet hours: E-3, E-5");
    expect(lines[1]).toBe("⚠ E-3 · 1 task in content failed (transient): timed out after 1m");
    expect(lines[2]).toContain("Covers:    T-4");
    expect(text).toContain("⚠ E-5 · 2 tasks in content");
    expect(text).toContain("    retry E-5");
  });

  it("more tasks joining a group is one line", () => {
    expect(updatedLine(group([4, 5, 6, 7, 8]))).toBe(
      "⚠ E-3 now covers 5 tasks: T-4, T-5, T-6, T-7, T-8",
    );
    const many = group(Array.from({ length: 14 }, (_, i) => i + 1));
    expect(updatedLine(many)).toMatch(/: T-1, T-2, .*, T-10 and 4 more$/);
  });

  it("a reminder says how long the group has waited and what to do", () => {
    expect(reminderCard(group([4, 5]), VIEW, T0 + 4 * 3_600_000)).toBe(
      [
        "⏰ E-3 is still waiting for a decision (opened 2026-01-05 09:00:00, 4h ago)",
        "  What:      2 tasks in content failed (transient): timed out after 1m",
        "  Tasks:     T-4, T-5",
        "  Actions:   retry E-3  ·  reroute E-3 <support|research>  ·  cancel E-3",
      ].join("\n"),
    );
    const answered = group([4], { resolved: { resolution: "cancelled", by: "owner", at: T0 } });
    expect(reminderCard(answered, VIEW, T0)).toBe(
      "✓ E-3 was resolved before its reminder: cancelled by owner",
    );
  });

  it("a resolved group says how", () => {
    expect(
      resolvedLine(group([4], { resolved: { resolution: "retried", by: "owner", at: T0 } })),
    ).toBe("✓ E-3 resolved: retried by owner");
    expect(resolutionText({ resolution: "recovered", by: "system" })).toBe(
      "the worker recovered by itself",
    );
    expect(resolutionText({ resolution: "edited", by: "owner" })).toBe("brief edited by owner");
  });

  it("a group message whose group is not loaded refuses to render, so delivery is retried", () => {
    expect(() => groupMessageCard({ kind: "reminder", escalationId: 9 }, context, VIEW)).toThrow(
      "no card loaded for E-9",
    );
    expect(() => messageCard({ kind: "escalation", escalationId: 3 }, undefined, VIEW)).toThrow(
      "no cards loaded for escalation",
    );
  });
});

describe("a decision on a group", () => {
  it("says which tasks moved where and that the group is resolved", () => {
    const text = outcomeText(
      {
        escalationId: 3,
        action: "reroute",
        acted: [
          task({ id: 4, category: "research", state: "queued" }),
          task({ id: 5, category: "research", state: "queued" }),
        ],
        skipped: [],
        resolved: true,
      },
      { action: "reroute", category: "research" },
    );
    expect(text).toBe(
      [
        "E-3 rerouted to research: 2 tasks",
        "  T-4 → research · queued, a worker will pick it up",
        "  T-5 → research · queued, a worker will pick it up",
        "  E-3 is resolved",
      ].join("\n"),
    );
  });

  it("lists what was skipped and why, and what keeps the group open", () => {
    const text = outcomeText(
      {
        escalationId: 3,
        action: "retry",
        acted: [task({ id: 4, state: "queued" })],
        skipped: [{ taskId: 5, why: "T-5 is running now, no longer waiting for a decision" }],
        resolved: false,
      },
      { action: "retry" },
    );
    expect(text).toBe(
      [
        "E-3 retried: 1 task",
        "  T-4 → queued, a worker will pick it up",
        "  skipped: T-5 is running now, no longer waiting for a decision",
        "  E-3 stays open: the skipped tasks still count as waiting in it",
      ].join("\n"),
    );
  });

  it("an edit that still leaves details missing says so", () => {
    const text = outcomeText(
      {
        escalationId: 3,
        action: "edit",
        acted: [task({ id: 4, state: "needs_clarification" })],
        skipped: [],
        resolved: true,
      },
      { action: "edit", fields: { constraints: ["no jargon"] } },
    );
    expect(text).toContain("E-3 brief edited: 1 task");
    expect(text).toContain("  T-4 → needs clarification, still missing details (answer T-4 <…>)");
  });

  it("nothing acted on is said plainly", () => {
    const text = outcomeText(
      {
        escalationId: 3,
        action: "cancel",
        acted: [],
        skipped: [{ taskId: 4, why: "T-4 is already done" }],
        resolved: true,
      },
      { action: "cancel" },
    );
    expect(text.split("\n")[0]).toBe("E-3: no task could be cancelled");
  });
});

describe("terminal text", () => {
  it("drops Discord emphasis, code marks and the sentences about buttons", () => {
    expect(
      plainText(
        "**Retry** if it is back, or `cancel`. Buttons act on the whole group; pick a task in the menu to act on one.",
      ),
    ).toBe("Retry if it is back, or cancel.");
    expect(plainText("see [the task](https://example.com/t/4)")).toBe(
      "see the task (https://example.com/t/4)",
    );
  });

  it("wraps prose at word boundaries under its indent", () => {
    const line = "word ".repeat(40).trim();
    const lines = wrap(line, "    ");
    expect(lines.length).toBeGreaterThan(1);
    for (const piece of lines) {
      expect(piece.length).toBeLessThanOrEqual(100);
      expect(piece).toMatch(/^ {4}word/);
    }
    expect(lines.join(" ").replace(/\s+/g, " ").trim()).toBe(line);
    // An indented line (an attempt under its task) hangs two further in when it wraps.
    expect(wrap(`  #1 ${"x ".repeat(60)}`, "    ")[1]).toMatch(/^ {8}x/);
  });
});

describe("plain text from an escaped card", () => {
  it("shows task text's own markdown characters as typed", async () => {
    const { plainText } = await import("../../../src/adapters/console/escalation-cards.js");
    const { escapeMarkdown } = await import("../../../src/escalation/format.js");
    expect(plainText(`**${escapeMarkdown("fix `prod` **now**_please")}**`)).toBe(
      "fix `prod` **now**_please",
    );
  });
});
