import { describe, expect, it } from "vitest";
import { configuredPattern } from "../../../src/core/pattern.js";

const PATTERNS = [
  String.raw`\b(returns?|throws?|gets?|getting|got)\s+(an?\s+)?[45]\d\d\b`,
  String.raw`\b(PR|MR)\s*#?\d+`,
  "^safe$",
  String.raw`\bkelvin\b`,
  String.raw`[a-z]+\d`,
  String.raw`\w+@\w+`,
  "caf[eé]",
  String.raw`\p{Lu}{3}`,
  String.raw`\u{41}BC`,
  "stra(ss|ß)e",
];

const TEXTS = [
  "It returns a 503 when the cache is cold",
  "see pr #42 and MR 7",
  "SAFE",
  "ſafe",
  "the KELVIN scale",
  "the \u212Aelvin scale",
  "write to ops@example.com",
  "Ünïcödé ABC",
  "Café au lait",
  "STRASSE and Straße",
  "",
];

describe("configured patterns (case-insensitive, Unicode)", () => {
  it.each(PATTERNS)("/%s/ matches exactly what /…/iu matches, ASCII text or not", (source) => {
    const pattern = configuredPattern(source);
    const exact = new RegExp(source, "iu");
    for (const text of TEXTS) expect(pattern.test(text), text).toBe(exact.test(text));
  });

  it("folds case beyond ASCII as Unicode does: long s, the Kelvin sign", () => {
    expect(configuredPattern("^safe$").test("ſafe")).toBe(true);
    expect(configuredPattern(String.raw`\bkelvin\b`).test("the \u212Aelvin scale")).toBe(true);
  });
});
