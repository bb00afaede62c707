// One file over 400 lines on purpose: each rule of the status checker beside the others, so a
// change to one shows what it does to its neighbours.
import { describe, expect, it } from "vitest";
import { reconcile } from "../../../src/monitor/checker.js";
import { type Stay, type StayBatch, StayHistory } from "../../../src/monitor/history.js";
import {
  configDrift,
  type DoneTask,
  deliveryMissing,
  escalationUnanswered,
  type Finding,
  type MonitorSnapshot,
  median,
  type OpenEscalation,
  type PerCategoryState,
  pipelineMissingNext,
  type RetryingTask,
  RULE_IDS,
  RULES,
  retriesApproaching,
  retriesExhausted,
  type StallCutoff,
  type StayStats,
  stallCutoffs,
  stalledMedian,
  stalledThreshold,
} from "../../../src/monitor/rules.js";

/** Every rule runs against this fixed clock. */
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function snapshot(overrides: Partial<MonitorSnapshot> = {}): MonitorSnapshot {
  return {
    processes: [],
    stalled: [],
    retrying: [],
    done: [],
    escalations: [],
    limits: { support: { queued: HOUR, running: 30 * MINUTE } },
    medians: {},
    pipelines: { content: "support" },
    settings: {
      stallFactor: 3,
      minSamples: 20,
      medianFloorMs: MINUTE,
      pipelineGraceMs: MINUTE,
      deliveryGraceMs: 10 * MINUTE,
      remindAfterMs: 4 * HOUR,
    },
    ...overrides,
  };
}

function task(overrides: Partial<RetryingTask> = {}): RetryingTask {
  return {
    id: 42,
    category: "support",
    state: "queued",
    stateSince: NOW - 2 * HOUR,
    attempts: 0,
    maxAttempts: 3,
    ...overrides,
  };
}

function done(overrides: Partial<DoneTask> = {}): DoneTask {
  return {
    id: 7,
    category: "content",
    doneAt: NOW - HOUR,
    nextId: null,
    deliveredAt: null,
    ...overrides,
  };
}

const subjects = (findings: Finding[]) => findings.map((finding) => finding.subject);

describe("stalled.threshold", () => {
  it.each([
    { name: "queued past its 1h limit", task: task(), expected: ["task:42:queued"] },
    {
      name: "running past its 30m limit",
      task: task({ state: "running", stateSince: NOW - 31 * MINUTE }),
      expected: ["task:42:running"],
    },
    { name: "exactly at the limit", task: task({ stateSince: NOW - HOUR }), expected: [] },
    { name: "under the limit", task: task({ stateSince: NOW - 59 * MINUTE }), expected: [] },
    {
      name: "a state with no limit",
      task: task({ state: "reviewing", stateSince: NOW - 10 * HOUR }),
      expected: [],
    },
    {
      name: "a category with no limits",
      task: task({ category: "finance", stateSince: NOW - 10 * HOUR }),
      expected: [],
    },
  ])("$name", ({ task: stalled, expected }) => {
    const findings = stalledThreshold(snapshot({ stalled: [stalled] }), NOW);
    expect(subjects(findings)).toEqual(expected);
  });

  it("says which state, for how long, against which limit", () => {
    const [finding] = stalledThreshold(snapshot({ stalled: [task()] }), NOW);
    expect(finding).toEqual({
      rule: "stalled.threshold",
      subject: "task:42:queued",
      taskId: 42,
      detail: "T-42 has been queued for 2h, over the support limit of 1h",
    });
  });
});

describe("stalled.median", () => {
  const history = (median: number, samples: number) => ({
    research: { running: { median, samples } },
  });
  const researcher = (stayed: number) =>
    task({ category: "research", state: "running", stateSince: NOW - stayed });

  it.each([
    {
      name: "over 3× a 10m median",
      medians: history(10 * MINUTE, 20),
      stayed: 31 * MINUTE,
      flagged: true,
    },
    {
      name: "at 3× the median",
      medians: history(10 * MINUTE, 20),
      stayed: 30 * MINUTE,
      flagged: false,
    },
    {
      name: "under 3× the median",
      medians: history(10 * MINUTE, 500),
      stayed: 29 * MINUTE,
      flagged: false,
    },
    {
      name: "19 stays are not history yet",
      medians: history(10 * MINUTE, 19),
      stayed: 5 * HOUR,
      flagged: false,
    },
    { name: "no history at all", medians: {}, stayed: 5 * HOUR, flagged: false },
    {
      name: "a 2s median is floored at 1m",
      medians: history(2_000, 100),
      stayed: 50_000,
      flagged: false,
    },
    { name: "past the 1m floor", medians: history(2_000, 100), stayed: 61_000, flagged: true },
  ])("$name", ({ medians, stayed, flagged }) => {
    const findings = stalledMedian(snapshot({ stalled: [researcher(stayed)], medians }), NOW);
    expect(subjects(findings)).toEqual(flagged ? ["task:42:running"] : []);
  });

  it("names the usual time and the sample behind it", () => {
    const findings = stalledMedian(
      snapshot({ stalled: [researcher(HOUR)], medians: history(10 * MINUTE, 120) }),
      NOW,
    );
    expect(findings[0]?.detail).toBe(
      "T-42 has been running for 1h, 3× over the usual 10m in research (median of 120 stays)",
    );
  });

  it("names the floor, not a multiple of nothing, when the usual stay is too short to scale", () => {
    const findings = stalledMedian(
      snapshot({ stalled: [researcher(14 * MINUTE)], medians: history(0, 56) }),
      NOW,
    );
    expect(findings[0]?.detail).toBe(
      "T-42 has been running for 14m, over the 1m floor in research " +
        "(the usual 0ms, median of 56 stays, is too short for 3× to mean anything)",
    );
  });
});

describe("retries.exhausted", () => {
  it.each([
    {
      name: "escalated with 3 of 3 attempts",
      task: task({ state: "escalated", attempts: 3 }),
      flagged: true,
    },
    {
      name: "escalated past its attempts",
      task: task({ state: "escalated", attempts: 4 }),
      flagged: true,
    },
    {
      name: "escalated for another reason",
      task: task({ state: "escalated", attempts: 1 }),
      flagged: false,
    },
    {
      name: "out of attempts but not escalated",
      task: task({ state: "queued", attempts: 3 }),
      flagged: false,
    },
  ])("$name", ({ task: retrying, flagged }) => {
    const findings = retriesExhausted(snapshot({ retrying: [retrying] }), NOW);
    expect(subjects(findings)).toEqual(flagged ? ["task:42"] : []);
  });
});

describe("retries.approaching", () => {
  it.each([
    {
      name: "waiting for the last of 3",
      task: task({ state: "retry_wait", attempts: 2 }),
      flagged: true,
    },
    {
      name: "waiting with retries to spare",
      task: task({ state: "retry_wait", attempts: 1 }),
      flagged: false,
    },
    {
      name: "a single-attempt task cannot approach",
      task: task({ state: "retry_wait", attempts: 0, maxAttempts: 1 }),
      flagged: false,
    },
    {
      name: "last attempt but queued",
      task: task({ state: "queued", attempts: 2 }),
      flagged: false,
    },
  ])("$name", ({ task: retrying, flagged }) => {
    const findings = retriesApproaching(snapshot({ retrying: [retrying] }), NOW);
    expect(subjects(findings)).toEqual(flagged ? ["task:42"] : []);
  });
});

describe("pipeline.missing_next", () => {
  it.each([
    { name: "done 1h ago with then: and no next", task: done(), flagged: true },
    { name: "still inside the 1m grace", task: done({ doneAt: NOW - 30_000 }), flagged: false },
    { name: "next step created", task: done({ nextId: 8 }), flagged: false },
    { name: "a category without then:", task: done({ category: "finance" }), flagged: false },
  ])("$name", ({ task: finished, flagged }) => {
    const findings = pipelineMissingNext(snapshot({ done: [finished] }), NOW);
    expect(subjects(findings)).toEqual(flagged ? ["task:7"] : []);
  });
});

describe("delivery.missing", () => {
  it.each([
    { name: "done 1h ago, never delivered", task: done(), flagged: true },
    {
      name: "done 11m ago, never delivered",
      task: done({ doneAt: NOW - 11 * MINUTE }),
      flagged: true,
    },
    { name: "inside the 10m grace", task: done({ doneAt: NOW - 9 * MINUTE }), flagged: false },
    { name: "delivered", task: done({ deliveredAt: NOW - 50 * MINUTE }), flagged: false },
  ])("$name", ({ task: finished, flagged }) => {
    const findings = deliveryMissing(snapshot({ done: [finished] }), NOW);
    expect(subjects(findings)).toEqual(flagged ? ["task:7"] : []);
  });
});

describe("escalation.unanswered", () => {
  const escalation = (overrides: Partial<OpenEscalation> = {}): OpenEscalation => ({
    id: 3,
    postedAt: NOW - 5 * HOUR,
    remindedAt: null,
    ...overrides,
  });

  it.each([
    {
      name: "posted 5h ago, never reminded",
      escalation: escalation(),
      flagged: true,
      remind: true,
    },
    {
      name: "already reminded: still open, no second reminder",
      escalation: escalation({ remindedAt: NOW - HOUR }),
      flagged: true,
      remind: false,
    },
    {
      name: "posted 3h ago",
      escalation: escalation({ postedAt: NOW - 3 * HOUR }),
      flagged: false,
      remind: false,
    },
    {
      name: "not posted yet (staged)",
      escalation: escalation({ postedAt: null }),
      flagged: false,
      remind: false,
    },
  ])("$name", ({ escalation: open, flagged, remind }) => {
    const findings = escalationUnanswered(snapshot({ escalations: [open] }), NOW);
    expect(findings.map((finding) => [finding.subject, finding.remind])).toEqual(
      flagged ? [["escalation:3", remind]] : [],
    );
  });

  it("carries the escalation id and no task id", () => {
    const [finding] = escalationUnanswered(snapshot({ escalations: [escalation()] }), NOW);
    expect(finding).toMatchObject({
      escalationId: 3,
      detail: expect.stringMatching(/^E-3 has waited 5h/),
    });
    expect(finding?.taskId).toBeUndefined();
  });
});

describe("processes.config_drift", () => {
  const on = (host: string, config: string) => ({ host, pid: 7, config });

  it.each([
    { name: "one process", processes: [on("box", "aaa")], files: [] },
    { name: "all on one file", processes: [on("box", "aaa"), on("gpu", "aaa")], files: [] },
    {
      name: "a file not known (an earlier version)",
      processes: [on("box", "aaa"), on("old", "")],
      files: [],
    },
    {
      name: "two files",
      processes: [on("gpu", "bbb"), on("box", "aaa"), on("ci", "aaa")],
      files: ["config:aaa,bbb"],
    },
  ])("$name", ({ processes, files }) => {
    const findings = configDrift(snapshot({ processes }), NOW);
    expect(findings.map((finding) => finding.subject)).toEqual(files);
  });

  it("names each file and the hosts on it, and what to do", () => {
    const [finding] = configDrift(
      snapshot({ processes: [on("gpu", "bbb"), on("box", "aaa"), on("ci", "aaa")] }),
      NOW,
    );
    expect(finding).toEqual({
      rule: "processes.config_drift",
      subject: "config:aaa,bbb",
      detail:
        "processes run 2 different config files (aaa on box pid 7, ci pid 7; bbb on gpu pid 7): " +
        "give every host the same steward.yaml (and corpus)",
    });
  });
});

describe("the rule list", () => {
  it("has every rule once, under its stable id", () => {
    expect(RULES.map((rule) => rule.id)).toEqual([...RULE_IDS]);
  });

  it("finds nothing in an empty snapshot", () => {
    expect(RULES.flatMap((rule) => rule.check(snapshot(), NOW))).toEqual([]);
  });
});

describe("stallCutoffs", () => {
  it.each<{ name: string; medians: PerCategoryState<StayStats>; expected: StallCutoff[] }>([
    {
      name: "a threshold alone",
      medians: {},
      expected: [
        { category: "support", state: "queued", before: NOW - HOUR },
        { category: "support", state: "running", before: NOW - 30 * MINUTE },
      ],
    },
    {
      name: "the median limit when it is the earlier one",
      medians: { support: { queued: { median: 5 * MINUTE, samples: 20 } } },
      expected: [
        { category: "support", state: "queued", before: NOW - 15 * MINUTE },
        { category: "support", state: "running", before: NOW - 30 * MINUTE },
      ],
    },
    {
      name: "a median without enough history adds nothing",
      medians: { admin: { queued: { median: 5 * MINUTE, samples: 3 } } },
      expected: [
        { category: "support", state: "queued", before: NOW - HOUR },
        { category: "support", state: "running", before: NOW - 30 * MINUTE },
      ],
    },
  ])("$name", ({ medians, expected }) => {
    const base = snapshot();
    const cutoffs = stallCutoffs(base.limits, medians, base.settings, NOW);
    expect(cutoffs).toEqual(expect.arrayContaining(expected));
    expect(cutoffs).toHaveLength(expected.length);
  });
});

describe("median", () => {
  it.each([
    { values: [5], expected: 5 },
    { values: [3, 1, 2], expected: 2 },
    { values: [4, 1, 3, 2], expected: 2.5 },
    { values: [10, 10, 10, 1_000_000], expected: 10 },
  ])("of $values is $expected", ({ values, expected }) => {
    expect(median(values)).toBe(expected);
  });

  it("of nothing is NaN", () => {
    expect(median([])).toBeNaN();
  });
});

describe("reconcile", () => {
  const finding = (rule: Finding["rule"], subject: string): Finding => ({
    rule,
    subject,
    detail: "",
  });
  const open = [
    { id: 1, rule: "stalled.threshold", subject: "task:1:queued" },
    { id: 2, rule: "stalled.threshold", subject: "task:2:queued" },
    { id: 3, rule: "delivery.missing", subject: "task:3" },
  ];

  it("raises only what is not open, resolves what was not found again", () => {
    const plan = reconcile(
      open,
      [finding("stalled.threshold", "task:1:queued"), finding("stalled.median", "task:1:queued")],
      new Set(),
    );
    expect(plan.raise.map((raised) => raised.rule)).toEqual(["stalled.median"]);
    expect(plan.resolve).toEqual([2, 3]);
  });

  it("keeps a partial rule's anomalies open", () => {
    const plan = reconcile(open, [], new Set(["delivery.missing"]));
    expect(plan.resolve).toEqual([1, 2]);
  });

  it("raises a finding reported twice once", () => {
    const twice = [finding("retries.exhausted", "task:9"), finding("retries.exhausted", "task:9")];
    expect(reconcile([], twice, new Set()).raise).toHaveLength(1);
  });
});

describe("StayHistory", () => {
  const stays = (count: number, duration: number): Stay[] =>
    Array.from({ length: count }, () => ({ category: "support", duration }));
  const batch = (list: Stay[], lastEventId: number, full = false): StayBatch => ({
    stays: list,
    lastEventId,
    full,
  });

  it("keeps the newest stays per (category, state) across refreshes", async () => {
    const history = new StayHistory({ perKey: 3, perState: 100 });
    // Newest first, as the reader returns them.
    await history.refresh(async () => batch([...stays(2, 30), ...stays(3, 10)], 5), ["queued"]);
    expect(history.stats().support?.queued).toEqual({ median: 30, samples: 3 });

    const asked: [string, number][] = [];
    await history.refresh(
      async (state, after) => {
        asked.push([state, after]);
        return batch(stays(3, 50), 8);
      },
      ["queued"],
    );
    expect(asked).toEqual([["queued", 5]]);
    expect(history.stats().support?.queued).toEqual({ median: 50, samples: 3 });
  });

  it("reads each state on its own", async () => {
    const history = new StayHistory({ perKey: 10, perState: 100 });
    await history.refresh(
      async (state) => batch(stays(1, state === "running" ? 99 : 1), 1),
      ["queued", "running"],
    );
    expect(history.stats()).toEqual({
      support: { queued: { median: 1, samples: 1 }, running: { median: 99, samples: 1 } },
    });
  });

  it("starts a state over from a full batch, which may have skipped stays", async () => {
    const history = new StayHistory({ perKey: 10, perState: 2 });
    await history.refresh(async () => batch(stays(1, 99), 1), ["queued", "running"]);
    await history.refresh(async () => batch(stays(2, 10), 50, true), ["queued"]);
    expect(history.stats()).toEqual({
      support: { queued: { median: 10, samples: 2 }, running: { median: 99, samples: 1 } },
    });
  });
});
