import { describe, expect, it } from "vitest";
import { featureCounts } from "../../../src/routing/features.js";
import { openingStems } from "../../../src/routing/tokenize.js";

describe("the words a request opens with", () => {
  it("skips greetings and filler to the instruction", () => {
    expect(openingStems("hey, can you pls fix the login page for Acme", 2)).toEqual([
      "fix",
      "login",
    ]);
  });

  it("keeps the question words the stop list drops", () => {
    expect(openingStems("who are Meridian Payments? any red flags", 2)).toEqual([
      "who",
      "meridian",
    ]);
    expect(openingStems("How does Jane App handle waitlists", 1)).toEqual(["how"]);
  });

  it("is empty for a request of filler only", () => {
    expect(openingStems("ok thanks!!", 2)).toEqual([]);
  });

  it("reads only the opening of a long paste", () => {
    expect(openingStems(`${"-".repeat(300)} refund the order`, 2)).toEqual([]);
  });
});

describe("a request's features", () => {
  it("count its opening word and opening pair (stemmed) beside its words", () => {
    const features = featureCounts("please pay the Meridian invoice today");
    expect(features.get("l:pai")).toBe(1);
    expect(features.get("l:pai_meridian")).toBe(1);
    expect(features.get("w:pai")).toBe(1);
    expect([...features.keys()].filter((feature) => feature.startsWith("l:"))).toHaveLength(2);
  });
});
