import { describe, expect, it } from "vitest";
import { type Command, parseCommand } from "../../../src/adapters/console/commands.js";

/** What people type at the console, and what it must mean. */
const TABLE: readonly (readonly [line: string, command: Command])[] = [
  ["", { kind: "empty" }],
  ["   ", { kind: "empty" }],
  ["help", { kind: "help" }],
  ["/help", { kind: "help" }],
  ["quit", { kind: "quit" }],
  ["EXIT", { kind: "quit" }],
  ["/exit", { kind: "quit" }],
  ["/task", { kind: "guided_task" }],
  [
    "/task objective: Draft a post acceptance: under 500 words",
    { kind: "task", text: "objective: Draft a post acceptance: under 500 words" },
  ],
  ["/status", { kind: "status" }],
  ["/status T-3", { kind: "status", taskId: 3 }],
  ["status t3", { kind: "status", taskId: 3 }],
  ["/review", { kind: "review" }],
  ["/review 2026-03", { kind: "review", month: "2026-03" }],
  ["retry T-4", { kind: "retry", taskId: 4 }],
  ["Retry #4", { kind: "retry", taskId: 4 }],
  ["retry 4", { kind: "retry", taskId: 4 }],
  ["/retry 4", { kind: "retry", taskId: 4 }],
  ["reroute T-4 research", { kind: "reroute", taskId: 4, category: "research" }],
  ["reroute T-4 Research", { kind: "reroute", taskId: 4, category: "research" }],
  ["cancel T-4", { kind: "cancel", taskId: 4 }],
  ["edit T-4", { kind: "edit", taskId: 4 }],
  ["answer T-4 under 500 words", { kind: "answer", taskId: 4, text: "under 500 words" }],
  [
    "answer T-4 done when:  it has   two spaces",
    { kind: "answer", taskId: 4, text: "done when:  it has   two spaces" },
  ],
  ["retry E-3", { kind: "group", escalationId: 3, decision: { action: "retry" } }],
  ["retry e3", { kind: "group", escalationId: 3, decision: { action: "retry" } }],
  ["Retry E3", { kind: "group", escalationId: 3, decision: { action: "retry" } }],
  ["/retry e-3", { kind: "group", escalationId: 3, decision: { action: "retry" } }],
  [
    "reroute E-3 Research",
    { kind: "group", escalationId: 3, decision: { action: "reroute", category: "research" } },
  ],
  ["cancel E-12", { kind: "group", escalationId: 12, decision: { action: "cancel" } }],
  ["edit e3", { kind: "group", escalationId: 3, decision: { action: "edit" } }],
  ["wait", { kind: "wait" }],
  ["wait T-4", { kind: "wait", taskId: 4 }],
  ["/wait 4", { kind: "wait", taskId: 4 }],
];

/** Requests that start with a command word but are requests all the same. */
const REQUESTS = [
  "Draft a blog post about our launch",
  "Cancel the subscriptions we no longer use",
  "Cancel 2 subscriptions we do not use",
  "Answer the refund request from a customer",
  "Answer 3 emails from customers",
  "Retry the failed payout to the supplier",
  "Review the pull request that upgrades the database driver",
  "Status update for investors",
  "Help me write a newsletter",
  "Wait for the invoice before paying the supplier",
  "edit the landing page headline",
  "Cancel eBay listings that did not sell",
  "Retry E-mail delivery to the supplier",
  "asdf qwerty zxcv",
];

describe("parseCommand", () => {
  it.each(TABLE)("%j", (line, command) => {
    expect(parseCommand(line)).toEqual(command);
  });

  it.each(REQUESTS)("%j is a request to file", (line) => {
    expect(parseCommand(line)).toEqual({ kind: "task", text: line });
  });

  it("a typed id after a command word makes wrong arguments an error, not a request", () => {
    expect(parseCommand("reroute T-4")).toEqual({
      kind: "invalid",
      message: "usage: reroute T-4 <category>",
    });
    expect(parseCommand("cancel T-4 now")).toEqual({
      kind: "invalid",
      message: "usage: cancel T-4",
    });
    expect(parseCommand("answer T-4")).toEqual({
      kind: "invalid",
      message: "usage: answer T-4 <text>",
    });
  });

  it("an escalation id after a command word: wrong arguments show the group usage", () => {
    expect(parseCommand("reroute E-3")).toEqual({
      kind: "invalid",
      message: "usage: reroute E-3 <category>",
    });
    expect(parseCommand("cancel e3 now")).toEqual({
      kind: "invalid",
      message: "usage: cancel E-3",
    });
    expect(parseCommand("/edit E-3 objective")).toEqual({
      kind: "invalid",
      message: "usage: edit E-3",
    });
    // Groups take decisions, not answers or status queries: those still want a task.
    expect(parseCommand("answer E-3 under 500 words")).toEqual({
      kind: "invalid",
      message: "usage: answer T-4 <text>",
    });
  });

  it("a slash command with wrong arguments is an error", () => {
    expect(parseCommand("/cancel the subscriptions")).toEqual({
      kind: "invalid",
      message: "usage: cancel T-4",
    });
    expect(parseCommand("/review March")).toEqual({
      kind: "invalid",
      message: "usage: /review [YYYY-MM]",
    });
    expect(parseCommand("/status everything")).toEqual({
      kind: "invalid",
      message: "usage: /status [T-4]",
    });
  });

  it("an unknown slash command is an error that points to help", () => {
    expect(parseCommand("/frobnicate T-4")).toEqual({
      kind: "invalid",
      message: "unknown command /frobnicate: type help for the list",
    });
  });
});
