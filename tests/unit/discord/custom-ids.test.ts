import { describe, expect, it } from "vitest";
import {
  type CustomId,
  encodeCustomId,
  parseCustomId,
} from "../../../src/adapters/discord/custom-ids.js";

describe("custom ids", () => {
  const ids: [string, CustomId][] = [
    ["esc:retry:7", { kind: "escalation", action: "retry", escalationId: 7 }],
    ["esc:reroute:7:42", { kind: "escalation", action: "reroute", escalationId: 7, taskId: 42 }],
    ["esc:cancel:7", { kind: "escalation", action: "cancel", escalationId: 7 }],
    ["esc:edit:7", { kind: "escalation", action: "edit", escalationId: 7 }],
    ["esc:pick:7", { kind: "escalation", action: "pick", escalationId: 7 }],
    ["task:details:42", { kind: "task_details", taskId: 42 }],
    ["task:new:-:-", { kind: "new_task" }],
    ["task:new:support:-1", { kind: "new_task", category: "support", priority: -1 }],
  ];

  it.each(ids)("%s round-trips", (text, id) => {
    expect(parseCustomId(text)).toEqual(id);
    expect(encodeCustomId(id)).toBe(text);
  });

  it.each([
    "",
    "esc",
    "esc:retry",
    "esc:retry:0",
    "esc:retry:07",
    "esc:retry:7:x",
    "esc:retry:7:42:1",
    "esc:launch:7",
    "esc:retry:-7",
    "task:details:",
    "task:details:42:1",
    "task:new:Support:1",
    "task:new:support:high",
    "task:new:support",
    "other:retry:7",
  ])("%j is not one of Steward's and is refused before any handler", (text) => {
    expect(parseCustomId(text)).toBeUndefined();
  });

  it("every encoded id fits Discord's 100 characters", () => {
    const longest = encodeCustomId({
      kind: "escalation",
      action: "reroute",
      escalationId: Number.MAX_SAFE_INTEGER,
      taskId: Number.MAX_SAFE_INTEGER,
    });
    expect(longest.length).toBeLessThanOrEqual(100);
  });
});
