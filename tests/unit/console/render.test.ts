// One file over 400 lines on purpose: every card and line the console prints, in one place to
// compare their wording.
import { beforeAll, describe, expect, it } from "vitest";
import { trimText } from "../../../src/adapters/console/format.js";
import { helpText } from "../../../src/adapters/console/help.js";
import {
  genericLine,
  MAX_OUTPUT_CHARS,
  messageCard,
} from "../../../src/adapters/console/message-cards.js";
import { statusDetail, statusOverview } from "../../../src/adapters/console/status-view.js";
import { movedLine, progressLine, taskCard } from "../../../src/adapters/console/task-card.js";
import type { OutboxMessage } from "../../../src/core/outbox.js";
import { attempt, detail, event, T0, task, VIEW } from "./fixtures.js";

beforeAll(() => {
  // Stamps are local time; pin the zone so the expected text is the same on every machine.
  process.env.TZ = "UTC";
});

const cardOf = (overrides: Parameters<typeof task>[0]) => {
  const t = task(overrides);
  return taskCard({ task: t, missing: t.missingFields, routing: t.routing }, VIEW);
};

describe("task card", () => {
  it("a queued task says which rule routed it and that a worker will pick it up", () => {
    expect(cardOf({})).toBe(
      [
        "T-4 · content · queued",
        "  Objective: Draft a blog post about our launch",
        `  Rule:      content.keywords (0.80) — keyword "blog" matched content's rules`,
        "  Next:      a worker will pick it up",
      ].join("\n"),
    );
  });

  it("a task needing clarification names the missing fields and both ways to answer", () => {
    const card = cardOf({
      state: "needs_clarification",
      missingFields: ["acceptance_criteria"],
      acceptanceCriteria: [],
    });
    expect(card).toContain("T-4 · content · needs clarification");
    expect(card).toContain("  Missing:   acceptance criteria");
    expect(card).toContain("answer T-4 <acceptance criteria>  (one line)");
    expect(card).toContain("edit T-4  (field by field)");
  });

  it("a task that fits no category offers reroute, edit and cancel, not retry", () => {
    const card = cardOf({
      state: "escalated",
      category: "unsorted",
      routing: {
        category: "unsorted",
        classifier: "rules",
        rule: "catch_all",
        score: 1,
        matched: [],
        explanation: "does not fit any category (best: none < 0.2)",
      },
    });
    expect(card).toContain("T-4 · unsorted · escalated");
    expect(card).toContain("reroute T-4 <support|content|research>  ·  edit T-4  ·  cancel T-4");
    expect(card).not.toContain("retry");
  });
});

describe("moved line", () => {
  it("a reroute that still needs details says what it waits for, not that a worker will run it", () => {
    const moved = task({ state: "needs_clarification", missingFields: ["acceptance_criteria"] });
    expect(movedLine(moved, "rerouted")).toBe(
      "T-4 rerouted to content · needs clarification — still missing details (answer T-4 <…>)",
    );
  });

  it("a queued task is picked up by a worker", () => {
    expect(movedLine(task({}), "retried")).toBe("T-4 retried · queued — a worker will pick it up");
  });
});

describe("progress line", () => {
  it.each([
    [{ state: "running", attempts: 1 }, "T-4 running (attempt 1)"],
    [{ state: "done", attempts: 1 }, "T-4 done"],
    [{ state: "needs_clarification" }, "T-4 needs clarification"],
    [
      { state: "retry_wait", nextRunAt: T0 + 30_000, lastError: "503 from the API" },
      "T-4 will retry in 30s: 503 from the API",
    ],
    // A retry with no backoff (a rejected output) is not "in 0ms".
    [{ state: "retry_wait", nextRunAt: T0, lastError: "too long" }, "T-4 retries now: too long"],
  ] as const)("%j → %s", (overrides, line) => {
    expect(progressLine(task(overrides), T0)).toBe(line);
  });
});

describe("outbox cards", () => {
  it("a done card shows the output", () => {
    const card = messageCard(
      { kind: "task_done", taskId: 4, destination: { kind: "reply" } },
      detail({
        state: "done",
        attempts: 1,
        output: "# Launch\n\nWe launched.",
        stateSince: T0 + 2100,
      }),
      VIEW,
    );
    expect(card).toBe("✓ T-4 done · content · 2s, 1 attempt\n  # Launch\n\n  We launched.");
  });

  it("a done card's time leaves out the wait for a person; probes are not attempts", () => {
    const card = messageCard(
      { kind: "task_done", taskId: 4, destination: { kind: "reply" } },
      detail(
        { state: "done", attempts: 2, maxAttempts: 4, output: "ok", stateSince: T0 + 34_000 },
        [
          attempt({ number: 1, failureClass: "systemic", error: "connection refused" }),
          attempt({ number: 2, outcome: "succeeded", failureClass: null, error: null }),
        ],
        [
          event({ to: "needs_clarification", enteredAt: null }),
          event({ from: "needs_clarification", to: "queued", at: T0 + 32_000, enteredAt: T0 }),
        ],
      ),
      VIEW,
    );
    expect(card.split("\n")[0]).toBe(
      "✓ T-4 done · content · 2s, 1 attempt (plus 1 probe while its worker was down; 32s waiting for a person)",
    );
  });

  it("a done card bound for a file says where the output goes, not that it went", () => {
    const card = messageCard(
      { kind: "task_done", taskId: 4, destination: { kind: "file", path: "reports/launch.md" } },
      detail({ state: "done", attempts: 1, output: "the draft" }),
      VIEW,
    );
    expect(card).toContain("  → to be delivered to the file reports/launch.md");
  });

  it("what became of an output is said: delivered where, or refused and why", () => {
    const delivered = messageCard(
      { kind: "output_delivery", taskId: 4, delivered: true, detail: "the file reports/x.T-4.md" },
      undefined,
      VIEW,
    );
    const refused = messageCard(
      {
        kind: "output_delivery",
        taskId: 4,
        delivered: false,
        detail: "http://evil.test/ is not in delivery.allowed_urls",
      },
      undefined,
      VIEW,
    );
    expect(delivered).toBe("✓ T-4's output was delivered: the file reports/x.T-4.md");
    expect(refused).toBe(
      "! T-4's output was not delivered: http://evil.test/ is not in delivery.allowed_urls. It is kept: /status T-4",
    );
  });

  it("a long output is cut, saying how much more there is and where to read it", () => {
    const output = "word ".repeat(600);
    const card = messageCard(
      { kind: "task_done", taskId: 4, destination: { kind: "reply" } },
      detail({ state: "done", attempts: 1, output }),
      VIEW,
    );
    const [header = "", body = "", more = ""] = card.split("\n");
    expect(header).toBe("✓ T-4 done · content · 0ms, 1 attempt");
    expect(body).toMatch(/^ {2}word( word)+$/);
    expect(body.length).toBeLessThanOrEqual(MAX_OUTPUT_CHARS + 2);
    const omitted = Number(/^ {2}… \((\d+) more characters, \/status T-4\)$/.exec(more)?.[1]);
    expect(body.length - 2 + omitted).toBe(output.trim().length);
  });

  it("a clarification says what is missing and the two ways to answer", () => {
    const message: OutboxMessage = {
      kind: "clarification",
      taskId: 4,
      missing: ["acceptance_criteria"],
      note: "missing acceptance criteria",
    };
    const card = messageCard(
      message,
      detail({ state: "needs_clarification", missingFields: ["acceptance_criteria"] }),
      VIEW,
    );
    expect(card).toBe(
      [
        "? T-4 needs acceptance criteria",
        "  Objective: Draft a blog post about our launch",
        "  Why:       missing acceptance criteria",
        "  Answer:    answer T-4 <acceptance criteria>  (one line)",
        "  Or:        edit T-4  (field by field)",
      ].join("\n"),
    );
  });

  it("a clarification that was answered before it was shown says so in one line", () => {
    const card = messageCard(
      { kind: "clarification", taskId: 4, missing: ["acceptance_criteria"], note: "" },
      detail({ state: "done" }),
      VIEW,
    );
    expect(card).toBe("? T-4 needed acceptance criteria; it has moved on since (done)");
  });

  it("an escalation answers the four questions and lists the actions as commands", () => {
    const card = messageCard(
      { kind: "task_escalated", taskId: 4, reason: "gave up after 3 attempts" },
      detail(
        {
          state: "escalated",
          attempts: 3,
          failureClass: "transient",
          lastError: "timed out after 1m",
        },
        [attempt(), attempt({ id: 2, number: 2, startedAt: T0 + 40_000, endedAt: T0 + 100_000 })],
      ),
      VIEW,
    );
    expect(card).toBe(
      [
        "⚠ T-4 escalated — needs your decision",
        "  What Steward was trying to do",
        "    Draft a blog post about our launch",
        "    category content · from owner via console · filed 2026-01-05 09:00:00",
        "  What went wrong",
        "    gave up after 3 attempts",
        "    last error (transient): timed out after 1m",
        "  What was tried",
        `    routing: content.keywords (0.80) — keyword "blog" matched content's rules`,
        "    #1 2026-01-05 09:00:01 · 3s · demo-writer · failed (transient): timed out after 1m",
        "    #2 2026-01-05 09:00:40 · 1m · demo-writer · failed (transient): same error",
        "  Decision needed",
        "    The attempts ran out. Retry with fresh attempts, reroute it, or cancel it.",
        "  Actions",
        "    retry T-4",
        "    reroute T-4 <support|research>",
        "    cancel T-4",
      ].join("\n"),
    );
  });

  it("the last error is not repeated when the reason already says it", () => {
    const card = messageCard(
      { kind: "task_escalated", taskId: 4, reason: "retries exhausted: timed out after 1m" },
      detail({ state: "escalated", failureClass: "transient", lastError: "timed out after 1m" }),
      VIEW,
    );
    expect(card).toContain("    retries exhausted: timed out after 1m\n  What was tried");
    expect(card).not.toContain("last error");
  });

  it("an input failure offers edit among the actions", () => {
    const card = messageCard(
      { kind: "task_escalated", taskId: 4, reason: "the brief is contradictory" },
      detail({ state: "escalated", failureClass: "input", lastError: "no file attached" }),
      VIEW,
    );
    expect(card).toContain("The brief itself is the problem");
    expect(card).toContain("    edit T-4");
  });

  it("a cancellation is one line", () => {
    const card = messageCard(
      { kind: "task_cancelled", taskId: 4, actor: "owner", reason: "cancelled at the console" },
      undefined,
      VIEW,
    );
    expect(card).toBe("✗ T-4 cancelled by owner: cancelled at the console");
  });

  // Issue 16 item 7: `• anomalies anomalyIds=[2,5]` said nothing of what was found.
  it("anomalies are shown by what each one is; those cleared since are counted", () => {
    const open = [
      {
        id: 2,
        rule: "delivery.missing",
        subject: "task:15",
        detail: "T-15 finished 10m ago and its output has not been delivered",
        detectedAt: T0,
      },
    ];
    const message: OutboxMessage = { kind: "anomalies", anomalyIds: [2, 5] };
    expect(messageCard(message, undefined, VIEW, { anomalies: open })).toBe(
      [
        "🔎 The status check found 2 anomalies (1 cleared since):",
        "  • T-15 finished 10m ago and its output has not been delivered",
      ].join("\n"),
    );
    expect(messageCard(message, undefined, VIEW)).toBe(
      "🔎 The status check found 2 anomalies; they have cleared since.",
    );
  });

  it("kinds without a card get one generic line with their ids", () => {
    expect(messageCard({ kind: "review_report", month: "2026-03" }, undefined, VIEW)).toBe(
      "• review report month=2026-03",
    );
    expect(genericLine({ kind: "escalation_digest", escalationIds: [3, 4] } as never)).toBe(
      "• escalation digest E-3, E-4",
    );
  });

  it("a task card without its task's detail refuses to render, so delivery is retried", () => {
    expect(() =>
      messageCard(
        { kind: "task_done", taskId: 4, destination: { kind: "reply" } },
        undefined,
        VIEW,
      ),
    ).toThrow("no detail loaded for T-4");
  });
});

describe("status", () => {
  it("a task's attempts leave out the probes of its worker while it was down", () => {
    const text = statusDetail(
      detail({ state: "running", attempts: 3, maxAttempts: 5 }, [
        attempt({ number: 1, failureClass: "systemic" }),
        attempt({ number: 2, failureClass: "systemic" }),
      ]),
    );
    expect(text).toContain("Attempts (1 of 3; 2 probes while its worker was down)");
  });

  it("the overview counts by state and by category and lists what is in flight", () => {
    const text = statusOverview({
      counts: [
        { state: "done", category: "content", count: 3 },
        { state: "running", category: "research", count: 1 },
        { state: "escalated", category: "unsorted", count: 1 },
      ],
      inFlight: [
        task({ id: 9, state: "running", category: "research", attempts: 1, stateSince: T0 }),
      ],
      waitingForDetails: [],
      escalations: [],
      anomalies: [],
      pausedWorkers: [{ worker: "llm-writer", error: "connection refused", since: T0 }],
      outboxBacklog: 2,
      processes: {
        live: [
          {
            id: "box:41:ab",
            host: "box",
            pid: 41,
            roles: ["scheduler", "checker"],
            categories: ["content"],
            version: "0.1.0",
            config: "3f2a9c0d1b7e",
            startedAt: T0 - 60_000,
            heartbeatAt: T0 + 3000,
          },
        ],
        stale: [
          {
            id: "gpu:7:cd",
            host: "gpu",
            pid: 7,
            roles: [],
            categories: ["research"],
            version: "0.1.0",
            config: "3f2a9c0d1b7e",
            startedAt: T0 - 120_000,
            heartbeatAt: T0 - 55_000,
          },
        ],
      },
      now: T0 + 5000,
    });
    expect(text).toBe(
      [
        "Steward status · 5 tasks",
        "  By state:     running 1 · escalated 1 · done 3",
        "  By category:  content 3 · research 1 · unsorted 1",
        "  In flight:",
        "    T-9 running · research · attempt 1 · 5s · Draft a blog post about our launch",
        // Issue 16 items 7 and 8: what waits on a person, and the anomalies, in words.
        "  Waiting for details: none",
        "  Escalations: none",
        "  Anomalies:    none open",
        "  Paused:",
        "    llm-writer since 2026-01-05 09:00:00: connection refused",
        "  Outbox:       2 messages not yet delivered",
        "  Processes:",
        "    box pid 41 · scheduler, checker · up 1m 5s · beat 2s ago",
        "    gpu pid 7 · stopped beating 1m ago without closing (crashed, or cut off)",
      ].join("\n"),
    );
  });

  const hostOn = (host: string, version: string, config = "3f2a9c0d1b7e") => ({
    id: `${host}:1:ab`,
    host,
    pid: 1,
    roles: [],
    categories: ["content"],
    version,
    config,
    startedAt: T0 - 65_000,
    heartbeatAt: T0 - 2_000,
  });
  /** The overview's lines about `live` processes, nothing else on the database. */
  const processesOf = (live: ReturnType<typeof hostOn>[]) =>
    statusOverview({
      counts: [],
      inFlight: [],
      waitingForDetails: [],
      escalations: [],
      anomalies: [],
      pausedWorkers: [],
      outboxBacklog: 0,
      processes: { live, stale: [] },
      now: T0,
    })
      .split("\n")
      .slice(-5);

  it("processes on different versions are each named with theirs, and told to be one", () => {
    const lines = processesOf([hostOn("box", "0.2.0"), hostOn("gpu", "0.1.0"), hostOn("old", "")]);
    expect(lines).toEqual([
      "  Processes:",
      "    box pid 1 · v0.2.0 · no roles · up 1m 5s · beat 2s ago",
      "    gpu pid 1 · v0.1.0 · no roles · up 1m 5s · beat 2s ago",
      "    old pid 1 · an earlier version · no roles · up 1m 5s · beat 2s ago",
      "    not all on one version of Steward: run the same on every host",
    ]);
  });

  it("processes on different config files are each named with their file's fingerprint, and told to share one", () => {
    const lines = processesOf([
      hostOn("box", "0.2.0", "3f2a9c0d1b7e"),
      hostOn("gpu", "0.2.0", "77c01d5e9a24"),
      hostOn("old", "0.2.0", ""),
    ]);
    expect(lines).toEqual([
      "  Processes:",
      "    box pid 1 · config 3f2a9c0d1b7e · no roles · up 1m 5s · beat 2s ago",
      "    gpu pid 1 · config 77c01d5e9a24 · no roles · up 1m 5s · beat 2s ago",
      "    old pid 1 · config not known · no roles · up 1m 5s · beat 2s ago",
      "    not all on one config file: give every host the same steward.yaml (and corpus)",
    ]);
  });

  it("a worker host that claims fewer categories than the processes together says which", () => {
    const serve = { ...hostOn("app", "0.2.0"), categories: ["support", "content", "research"] };
    const gpu = { ...hostOn("gpu", "0.2.0"), categories: ["research"] };
    const idle = { ...hostOn("spare", "0.2.0"), categories: [] };
    expect(processesOf([serve, gpu, idle]).slice(-4)).toEqual([
      "  Processes:",
      "    app pid 1 · no roles · up 1m 5s · beat 2s ago",
      "    gpu pid 1 · no roles · works research · up 1m 5s · beat 2s ago",
      "    spare pid 1 · no roles · works no category · up 1m 5s · beat 2s ago",
    ]);
    // Every process on the same categories: nothing to tell apart, nothing said.
    expect(processesOf([hostOn("app", "0.2.0"), hostOn("gpu", "0.2.0")]).slice(-2)).toEqual([
      "    app pid 1 · no roles · up 1m 5s · beat 2s ago",
      "    gpu pid 1 · no roles · up 1m 5s · beat 2s ago",
    ]);
  });

  it("the detail shows the brief, the routing trace, the attempts and the timeline", () => {
    const text = statusDetail(
      detail(
        {
          state: "done",
          attempts: 1,
          stateSince: T0 + 3000,
          output: "the draft",
          routing: {
            category: "content",
            classifier: "rules",
            rule: "content.keywords",
            score: 0.8,
            matched: ["blog"],
            runner_up: { category: "support", score: 0.12 },
            explanation: `keyword "blog" matched content's rules`,
          },
        },
        [attempt({ outcome: "succeeded", failureClass: null, error: null })],
        [
          event(),
          event({
            id: 2,
            from: "queued",
            to: "running",
            at: T0 + 1000,
            actor: "worker:demo-writer",
            reason: "attempt 1 started",
          }),
        ],
      ),
    );
    expect(text).toContain("T-4 · content · done since 2026-01-05 09:00:03");
    expect(text).toContain("  Acceptance criteria: - under 500 words");
    expect(text).toContain("  Inputs:              —");
    expect(text).toContain("  Rule:       content.keywords, score 0.80");
    expect(text).toContain("  Runner-up:  support (0.12)");
    expect(text).toContain("  #1 2026-01-05 09:00:01 · 3s · demo-writer · succeeded");
    expect(text).toContain(
      "  2026-01-05 09:00:01  queued → running  by worker:demo-writer — attempt 1 started",
    );
    expect(text).toContain("Output\n  the draft");
  });
});

describe("text helpers", () => {
  it("trimText cuts at a nearby line break and counts what it left out", () => {
    const text = `${"a".repeat(90)}\n${"b".repeat(50)}`;
    expect(trimText(text, 100)).toEqual({ shown: "a".repeat(90), omitted: 51 });
    expect(trimText("short", 100)).toEqual({ shown: "short", omitted: 0 });
    expect(trimText(`${"a".repeat(95)} ${"b".repeat(20)}`, 100)).toEqual({
      shown: "a".repeat(95),
      omitted: 21,
    });
  });

  it("help lists every command and the categories", () => {
    const help = helpText(VIEW);
    for (const usage of [
      "/task",
      "/status T-4",
      "/review",
      "answer T-4",
      "edit T-4",
      "retry T-4",
    ]) {
      expect(help).toContain(usage);
    }
    for (const usage of ["reroute T-4 <category>", "cancel T-4", "wait [T-4]", "quit, exit"]) {
      expect(help).toContain(usage);
    }
    for (const usage of ["retry E-3", "reroute E-3 <category>", "edit E-3", "cancel E-3"]) {
      expect(help).toContain(usage);
    }
    expect(help).toContain("Categories: support, content, research");
  });
});
