import { describe, expect, it } from "vitest";
import { causeLabel, plainText, resolutionText } from "../../../src/review/plain.js";

describe("the review's plain words", () => {
  it.each([
    [
      "2 tasks in `finance` failed (transient): EX\\_TEMPFAIL",
      "2 tasks in finance failed (transient): EX_TEMPFAIL",
    ],
    [
      "api is down (1 task waiting in `content`): a \\*b\\* c",
      "api is down (1 task waiting in content): a *b* c",
    ],
    ["plain text stays", "plain text stays"],
  ])("%s reads as plain text", (markdown, plain) => {
    expect(plainText(markdown)).toBe(plain);
  });

  it.each([
    ["rerouted:content", "rerouted to content"],
    ["recovered", "recovered by itself"],
    ["retried", "retried"],
  ])("resolution %s reads %s", (code, words) => {
    expect(resolutionText(code)).toBe(words);
  });

  it("a root cause is named by its parts, not its key", () => {
    expect(causeLabel({ failureClass: null, category: "unsorted", worker: "-" })).toBe(
      "not run, in unsorted",
    );
    expect(causeLabel({ failureClass: "transient", category: "finance", worker: "flaky" })).toBe(
      "transient, in finance, worker flaky",
    );
  });
});
