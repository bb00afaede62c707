import { describe, expect, it } from "vitest";
import { completer } from "../../../src/adapters/console/complete.js";

const complete = completer({ taskIds: () => [42, 41, 4], categories: ["support", "content"] });

describe("Tab completion in the console", () => {
  it.each([
    ["re", ["retry", "reroute"], "re"],
    ["/st", ["/status"], "/st"],
    ["cancel T-", ["T-42", "T-41", "T-4"], "T-"],
    ["cancel t4", ["T-42", "T-41", "T-4"], "t4"],
    ["answer 42", ["T-42"], "42"],
    ["reroute T-4 su", ["support"], "su"],
    ["help me", [], "me"],
    ["Draft a blog post", [], "post"],
  ])("%j completes to %j", async (line, hits, word) => {
    expect(await complete(line)).toEqual([hits, word]);
  });
});
