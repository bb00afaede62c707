import { describe, expect, it } from "vitest";
import { criteriaInProse } from "../../../src/intake/prose.js";

describe("criteria stated in prose", () => {
  it.each([
    ["write the launch post, under 300 words", ["under 300 words"]],
    ["need the VAT summary by Friday pls", ["by Friday"]],
    ["bump the postgres driver so that the tests pass again", ["so that the tests pass again"]],
    ["rotate the logs so it stops filling the disk", ["so it stops filling the disk"]],
    [
      "redo the welcome email. make sure it links to the pricing page",
      ["make sure it links to the pricing page"],
    ],
    ["give me no more than 5 bullets, due tomorrow", ["no more than 5 bullets", "due tomorrow"]],
  ])("%s", (text, expected) => {
    expect(criteriaInProse(text)).toEqual(expected);
  });

  it("finds nothing in a request that states no criterion", () => {
    expect(criteriaInProse("chase the acme invoice")).toEqual([]);
    expect(criteriaInProse("ok so the thing from last week, can you sort it")).toEqual([]);
    expect(criteriaInProse("asdf")).toEqual([]);
  });

  it("keeps a phrase once when two patterns find it", () => {
    expect(criteriaInProse("make sure it is under 200 words")).toEqual([
      "make sure it is under 200 words",
    ]);
  });
});
