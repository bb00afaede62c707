import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import type {
  AnomalyRuleRow,
  CatchAllVolume,
  RepeatedFailureRow,
  ReroutePair,
} from "../../../src/review/port.js";
import { suggestFromCatchAll } from "../../../src/review/suggestions/catch-all.js";
import { suggestFromFailures } from "../../../src/review/suggestions/failures.js";
import { suggestFromReroutes } from "../../../src/review/suggestions/reroutes.js";
import { suggestFromStalls } from "../../../src/review/suggestions/stalls.js";
import {
  DEFAULT_THRESHOLDS,
  type SuggestionContext,
  suggestionContext,
} from "../../../src/review/suggestions/suggestion.js";
import { suggest } from "../../../src/review/suggestions.js";

const config = loadConfigFile("config/steward.yaml", {});
// The keyword these tests watch misfire: "newsletter" sends unsubscribe requests to content.
config.categories
  .find((category) => category.name === "content")!
  .match.keywords.push("newsletter");
const context = suggestionContext(config);
const MINUTE = 60_000;

function catchAll(objectives: readonly string[], count = objectives.length): CatchAllVolume {
  return {
    count,
    tasks: objectives.map((objective, index) => ({
      taskId: 100 + index,
      objective,
      state: "escalated",
      category: "unsorted",
    })),
  };
}

function reroutes(from: string, to: string, objectives: readonly string[]): ReroutePair {
  return {
    from,
    to,
    count: objectives.length,
    kept: objectives.length,
    tasks: objectives.map((objective, index) => ({
      taskId: 200 + index,
      objective,
      rule: `${from}.keywords`,
      state: "queued",
    })),
  };
}

function stall(overrides: Partial<AnomalyRuleRow> = {}): AnomalyRuleRow {
  return {
    rule: "stall.queued",
    category: "support",
    fired: 4,
    resolved: 4,
    selfResolved: 4,
    maxOpenMs: 40 * MINUTE,
    taskIds: [1, 2, 3, 4],
    detail: "queued for 1h (threshold 1h)",
    ...overrides,
  };
}

function failures(count: number, worker = "writer"): RepeatedFailureRow {
  return {
    worker,
    signature: "review rejected: missing the refund amount (attempt #)",
    count,
    tasks: count,
    example: "review rejected: missing the refund amount (attempt 2)",
    taskIds: [7, 8, 9].slice(0, count),
  };
}

const SHOPIFY = [
  "Translate the Shopify FAQ into German",
  "Translate the Shopify product pages into French",
  "Translate our Shopify checkout emails into Spanish",
];

describe("catch-all tasks sharing terms", () => {
  it("three tasks about something no category speaks of propose a new category", () => {
    const [suggestion, ...rest] = suggestFromCatchAll(
      catchAll([...SHOPIFY, "Book flights to Lisbon"], 9),
      context.categories,
      3,
    );
    expect(rest).toEqual([]);
    expect(suggestion?.kind).toBe("new_category");
    expect(suggestion?.proposal).toContain("shopify");
    expect(suggestion?.proposal).toContain("translate");
    expect(suggestion?.evidence.figures).toEqual({ tasks: 3, catchAll: 9 });
    expect(suggestion?.evidence.taskIds).toEqual([100, 101, 102]);
    expect(suggestion?.evidence.summary).toMatch(
      /3 of 9 catch-all tasks mention .*"shopify" \(3\)/,
    );
    expect(suggestion?.evidence.quotes[0]).toBe(SHOPIFY[0]);
  });

  it("terms an existing category already describes become keywords for it", () => {
    const [suggestion] = suggestFromCatchAll(
      catchAll([
        "Run payroll for the two contractors",
        "Check the payroll totals for the contractors",
        "Prepare payroll for our contractors this month",
      ]),
      context.categories,
      3,
    );
    expect(suggestion?.kind).toBe("category_keywords");
    expect(suggestion?.title).toContain("`finance`");
    expect(suggestion?.proposal).toContain('"payroll"');
    expect(suggestion?.proposal).toContain("categories[finance].match.keywords");
    expect(suggestion?.evidence.taskIds).toEqual([100, 101, 102]);
  });

  it("two tasks sharing terms are not enough", () => {
    expect(suggestFromCatchAll(catchAll(SHOPIFY.slice(0, 2)), context.categories, 3)).toEqual([]);
  });

  it("what people did decides: a cancelled request teaches nothing, a rerouted one its new category", () => {
    const nonsense = catchAll([
      "banana purple elephant",
      "banana purple elephant",
      "banana purple elephant",
      "banana purple elephant",
    ]);
    const [first, second, third, fourth] = nonsense.tasks;
    Object.assign(first!, { state: "cancelled" });
    Object.assign(second!, { state: "cancelled" });
    Object.assign(third!, { state: "done", category: "admin" });
    expect(fourth).toMatchObject({ state: "escalated", category: "unsorted" });
    expect(suggestFromCatchAll(nonsense, context.categories, 3)).toEqual([]);
  });
});

describe("repeated reroutes from one category to another", () => {
  const UNSUBSCRIBE = [
    "Unsubscribe Maria from the newsletter, she asked twice",
    "A newsletter reader cannot unsubscribe, help them",
    "Customer says the newsletter unsubscribe link is broken",
  ];

  it("three reroutes name the keyword that misfired and the terms the tasks share", () => {
    const [suggestion] = suggestFromReroutes(
      [reroutes("content", "support", UNSUBSCRIBE)],
      context.categories,
      3,
    );
    expect(suggestion?.kind).toBe("fix_routing");
    expect(suggestion?.title).toBe("`content`'s rules catch work that belongs to `support`");
    expect(suggestion?.proposal).toContain('"newsletter" matched 3');
    expect(suggestion?.proposal).toContain(
      'add "unsubscribe" to categories[support].match.keywords',
    );
    expect(suggestion?.evidence.figures).toEqual({ reroutes: 3, "routedBy:content.keywords": 3 });
    expect(suggestion?.evidence.summary).toContain('"newsletter", "unsubscribe"');
    expect(suggestion?.evidence.taskIds).toEqual([200, 201, 202]);
  });

  it("reroutes out of the catch-all point at the rules of the category they went to", () => {
    const [suggestion] = suggestFromReroutes(
      [reroutes("unsorted", "content", SHOPIFY)],
      context.categories,
      3,
    );
    expect(suggestion?.title).toBe("`content`'s rules miss requests that end up in the catch-all");
    expect(suggestion?.proposal).toBe(
      'Add "shopify", "translate" to categories[content].match.keywords.',
    );
  });

  it("reroutes of requests then cancelled are no pattern", () => {
    const pair = reroutes("content", "support", UNSUBSCRIBE);
    pair.kept = 1;
    for (const task of pair.tasks.slice(1)) task.state = "cancelled";
    expect(suggestFromReroutes([pair], context.categories, 3)).toEqual([]);
  });

  it("two reroutes are not a pattern", () => {
    const pair = reroutes("content", "support", UNSUBSCRIBE.slice(0, 2));
    expect(suggestFromReroutes([pair], context.categories, 3)).toEqual([]);
  });
});

describe("stall rules that only raise false alarms", () => {
  it("a rule that always resolved itself proposes a threshold covering the longest stay", () => {
    const [suggestion] = suggestFromStalls([stall()], context, 3);
    expect(suggestion?.kind).toBe("loosen_stall");
    // support waits 1h in the queue; the longest stayed 40 minutes more: 1h40m → 105m.
    expect(suggestion?.proposal).toBe(
      "Set categories[support].limits.stall.queued to 105m (now 1h).",
    );
    expect(suggestion?.evidence.figures).toEqual({
      fired: 4,
      selfResolved: 4,
      longestOpenMs: 40 * MINUTE,
    });
    expect(suggestion?.evidence.taskIds).toEqual([1, 2, 3, 4]);
    expect(suggestion?.evidence.summary).toContain("0 operator actions");
  });

  it("without a threshold for the category the stall factor is raised", () => {
    const [suggestion] = suggestFromStalls([stall({ category: "unsorted" })], context, 3);
    expect(suggestion?.proposal).toBe(
      "Raise monitor.stall_factor from 3 to 6, " +
        "or set categories[unsorted].limits.stall.queued explicitly.",
    );
  });

  it("does not fire when someone acted once, when it fired twice, or for other rules", () => {
    const rows = [
      stall({ selfResolved: 3 }),
      stall({ fired: 2, resolved: 2, selfResolved: 2 }),
      stall({ rule: "escalation_unanswered" }),
    ];
    expect(suggestFromStalls(rows, context, 3)).toEqual([]);
  });
});

describe("a worker failing review the same way", () => {
  const llmWorkers: SuggestionContext["workers"] = { writer: { kind: "llm" } };

  it("three identical logic failures quote the failure and point at the prompt", () => {
    const [suggestion] = suggestFromFailures([failures(3)], llmWorkers, 3);
    expect(suggestion?.kind).toBe("worker_instructions");
    expect(suggestion?.proposal).toContain("workers.writer.prompt");
    expect(suggestion?.proposal).toContain("missing the refund amount (attempt 2)");
    expect(suggestion?.evidence.quotes).toEqual([
      "review rejected: missing the refund amount (attempt 2)",
    ]);
    expect(suggestion?.evidence.figures).toEqual({ failures: 3, tasks: 3 });
    expect(suggestion?.evidence.taskIds).toEqual([7, 8, 9]);
  });

  it("two are not enough", () => {
    expect(suggestFromFailures([failures(2)], llmWorkers, 3)).toEqual([]);
  });
});

describe("suggest", () => {
  it("runs every rule with the default thresholds", () => {
    const all = suggest(
      {
        catchAll: catchAll(SHOPIFY),
        reroutes: [reroutes("content", "support", SHOPIFY)],
        anomalies: [stall()],
        repeatedFailures: [failures(3, "demo-writer")],
      },
      context,
    );
    expect(DEFAULT_THRESHOLDS).toEqual({
      catchAllCluster: 3,
      reroutes: 3,
      selfResolvedStalls: 3,
      repeatedFailures: 3,
    });
    expect(all.map((suggestion) => suggestion.kind)).toEqual([
      "new_category",
      "fix_routing",
      "loosen_stall",
      "worker_instructions",
    ]);
    expect(all.every((suggestion) => suggestion.evidence.taskIds.length > 0)).toBe(true);
  });

  it("finds nothing in a quiet month", () => {
    const quiet = { catchAll: catchAll([]), reroutes: [], anomalies: [], repeatedFailures: [] };
    expect(suggest(quiet, context)).toEqual([]);
  });
});
