/**
 * A founder's day in the console (issue 16): ten requests of different kinds, answers, a
 * reroute then an answer, retries, a cancel, a grouped escalation and `status`, through the
 * real CLI on a fresh SQLite file, asserting what the person sees at each step.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { withoutDefaultCriteria } from "../../helpers.js";
import {
  escalatingConfig,
  expectInOrder,
  pipeIntoConsole,
  type Transcript,
  type WaitFor,
} from "./helpers.js";

const THIS_MONTH = new Date().toISOString().slice(0, 7);

const DAY: readonly (string | WaitFor)[] = [
  // T-1: complete, runs to done.
  "/task objective: Draft a post about the launch acceptance: under 500 words",
  // T-2: asked for its criteria, answered in one line.
  "Draft a blog post about our launch",
  { until: "answer T-2 <acceptance criteria>" },
  "answer T-2 under 500 words",
  // T-3: research, rerouted to content while it waits for details, then answered.
  "Compare the three cheapest transactional email providers",
  { until: "T-3 · research · needs clarification" },
  "reroute T-3 content",
  "answer T-3 a table of prices",
  // T-4: fits no category; rerouted by the person, then answered.
  "banana purple elephant",
  { until: "T-4 · unsorted · escalated" },
  "reroute T-4 content",
  "answer T-4 x",
  // T-5 and T-6: one cause (the payment API), one escalation, retried as a whole.
  "/task objective: Reconcile Stripe payouts with the bank statement acceptance: totals match",
  "/task objective: Prepare the quarterly VAT summary from the payment export acceptance: totals match",
  // T-7: waits for details; `status` lists it; then cancelled.
  "Fix the failing CI build on the main branch",
  { until: "retry E-2" },
  "status",
  "retry E-2",
  "wait",
  "cancel T-7",
  // T-8: a support reply.
  "/task objective: Answer the refund request from Dana acceptance: polite",
  // T-9: fails alone, retried by its own id.
  "/task objective: Reconcile the March payouts acceptance: totals match",
  { until: "retry E-3" },
  "retry T-9",
  // T-10: engineering.
  "/task objective: Fix the bug in the login endpoint acceptance: tests pass",
  "wait",
  "status",
  // The month so far: the previous one is empty on a first day, so it offers this one.
  "review",
  `review --month ${THIS_MONTH}`,
];

/** The escalating console config with research and engineering asking too: the day answers. */
function dayConfig(dir: string): string {
  const file = escalatingConfig(dir);
  const yaml = readFileSync(file, "utf8");
  writeFileSync(file, withoutDefaultCriteria(yaml, "research", "engineering"));
  return file;
}

describe("a founder's day through the console", () => {
  let run: Transcript;
  let out: string;
  beforeAll(async () => {
    run = await pipeIntoConsole(DAY, dayConfig);
    out = run.stdout;
    if (process.env.DUMP_DAY) console.log(out);
  });

  it("ends by itself with exit code 0", () => {
    expect(run.code, run.stderr).toBe(0);
  });

  it("a complete request runs to done, and an answered one too", () => {
    expectInOrder(out, ["T-1 · content · queued", "✓ T-1 done · content · "]);
    expectInOrder(out, [
      "T-2 · content · needs clarification",
      "T-2 · content · queued",
      "✓ T-2 done · content · ",
    ]);
  });

  it("a reroute survives the answer: the task runs where the person put it", () => {
    expectInOrder(out, [
      "T-3 · research · needs clarification",
      // Item 5: no "a worker will pick it up" while it still waits for details.
      "T-3 rerouted to content · needs clarification — still missing details (answer T-3 <…>)",
      "T-3 · content · queued",
      "✓ T-3 done · content",
    ]);
    expectInOrder(out, [
      "T-4 · unsorted · escalated",
      "T-4 rerouted to content · needs clarification",
      "T-4 · content · queued",
      "✓ T-4 done · content",
    ]);
    expect(out).not.toContain("T-3 · research · queued");
  });

  it("one cause is one card, naming its escalation, retried as a whole", () => {
    const before = out.slice(0, out.indexOf("E-2 retried"));
    const [first, second] =
      before.indexOf("⚠ T-5 escalated") < before.indexOf("⚠ T-6 escalated")
        ? ["T-5", "T-6"]
        : ["T-6", "T-5"];
    expectInOrder(out, [
      `⚠ ${first} escalated — needs your decision`,
      "  Escalation: E-2 (tasks that fail the same way join it)",
      `⚠ ${second} escalated too: it joins E-2 (same cause)`,
      "⚠ E-2 · 2 tasks in finance failed (transient)",
      `  Covers:    T-5, T-6 (the four questions are in the ${first} card above)`,
      "E-2 retried: 2 tasks",
      "✓ E-2 resolved: retried by owner",
    ]);
    // Item 11: the time the decision took is said apart from the work.
    expect(out).toMatch(/✓ T-5 done · finance · \S+, 2 attempts \(\S+ waiting for a person\)/);
  });

  it("status lists what waits on a person, oldest first, with how long", () => {
    const status = out.slice(out.indexOf("Steward status"));
    expectInOrder(status, [
      "Waiting for details (1, oldest first)",
      /T-7 · waiting [^·]+ · needs acceptance criteria · Fix the failing CI build/,
      "Escalations (1, oldest first)",
      /E-2 · waiting [^·]+ · 2 tasks in finance failed/,
    ]);
  });

  it("a cancel and a retry by task id do what they say", () => {
    expectInOrder(out, [
      "cancel T-7".replace("cancel ", ""),
      "T-7 cancelled (it was needs clarification)",
    ]);
    expectInOrder(out, [
      "⚠ T-9 escalated — needs your decision",
      "T-9 retried · queued — a worker will pick it up",
      "✓ T-9 done · finance",
    ]);
    expectInOrder(out, ["✓ T-8 done · support", "✓ T-10 done · engineering"]);
  });

  it("at the end of the day nothing waits on a person", () => {
    const last = out.slice(out.lastIndexOf("Steward status"));
    expect(last).toContain("Steward status · 10 tasks");
    expect(last).toContain("Waiting for details: none");
    expect(last).toContain("Escalations: none");
  });

  it("the review of the month so far lists the day's escalations and what people decided", () => {
    const review = out.slice(out.indexOf(`Steward review: ${THIS_MONTH}`));
    expect(out).toContain(`review --month ${THIS_MONTH}`);
    expect(review).toContain("10 tasks created");
    expect(review).toMatch(/E-1\b/);
    expect(review).toContain("ROUTING CORRECTIONS");
    // Settled through E-1…E-3, those are not listed again as actions nobody was asked about.
    expect(review).toContain("Without an escalation (2):");
  });
});
