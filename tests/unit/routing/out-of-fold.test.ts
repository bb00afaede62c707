import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import { createCategoryRouter } from "../../../src/routing/classify.js";
import {
  parseLabelled,
  proposeThreshold,
  proposeThresholdForEach,
  thresholdCurve,
} from "../../../src/routing/evaluate.js";
import { decideAll, decideOutOfFold } from "../../../src/routing/out-of-fold.js";

const config = loadConfigFile("config/steward.yaml", {});

describe("the corpus decided out of fold", () => {
  // Words no category knows, one line each: only a classifier trained on the line itself knows them.
  const corpus = ["frumbleclax", "quorpinate", "zelbrick", "vontashery", "glimmerwock"].map(
    (word) => ({ text: `please ${word} the ${word} ${word}`, category: "finance" }),
  );

  it("routes each line by a classifier trained without it, in the corpus's order", () => {
    const inSample = decideAll(
      createCategoryRouter(config.categories, { minConfidence: 0, corpus }),
      corpus,
      "cli",
    );
    const folds = decideOutOfFold(config.categories, corpus, { source: "cli" });
    expect(folds.map((fold) => fold.length)).toEqual([1, 1, 1, 1, 1]);
    const outOfFold = folds.flat();
    expect(outOfFold.map((decided) => decided.expected)).toEqual(corpus.map((c) => c.category));
    // Trained on its own line, a classifier is sure of it; without it, it is guessing.
    for (const decided of inSample) expect(decided.confidence).toBeGreaterThan(0.5);
    for (const decided of outOfFold) expect(decided.confidence).toBeLessThan(0.3);
  });
});

describe("the threshold proposed for the corpus's folds", () => {
  const thresholds = [0.1, 0.2, 0.3];
  const decision = (right: boolean, confidence: number) => ({
    expected: "support",
    category: right ? "support" : "finance",
    confidence,
  });
  // Ten requests a fold; the wrong ones' confidences say where each fold's silent rate falls.
  const fold = (wrong: number[]) => [
    ...wrong.map((confidence) => decision(false, confidence)),
    ...Array.from({ length: 10 - wrong.length }, () => decision(true, 0.9)),
  ];
  const folds = [fold([0.15]), fold([0.25, 0.25]), fold([])];
  const curves = folds.map((decided) => thresholdCurve(decided, "unsorted", thresholds));

  it("is the lowest at which every fold stays under the target, where pooling would go lower", () => {
    // Pooled, 0.2 leaves 2 of 30 silent (6.7 %); the second fold alone is at 20 % there.
    const pooled = thresholdCurve(folds.flat(), "unsorted", thresholds);
    expect(proposeThreshold(pooled, 0.07)?.threshold).toBe(0.2);
    expect(proposeThresholdForEach(curves, 0.07)).toBe(2);
  });

  it("is none when some fold never gets under the target", () => {
    const hopeless = [...curves, thresholdCurve(fold([0.95]), "unsorted", thresholds)];
    expect(proposeThresholdForEach(hopeless, 0.05)).toBeUndefined();
    expect(proposeThresholdForEach([], 0.05)).toBeUndefined();
  });
});

describe("the default threshold", () => {
  it("is what route --fit-corpus --fit dev.jsonl proposes: every fold and dev at or under 3 % silent", () => {
    const thresholds = Array.from({ length: 81 }, (_, step) => (10 + step) / 100);
    const catchAll = config.categories.find((category) => category.catch_all)!.name;
    const dev = "tests/fixtures/routing/dev.jsonl";
    const router = createCategoryRouter(config.categories, {
      minConfidence: 0,
      corpus: config.corpus,
    });
    const sets = [
      ...decideOutOfFold(config.categories, config.corpus!, { source: "console" }),
      decideAll(router, parseLabelled(readFileSync(dev, "utf8"), dev), "console"),
    ];
    const curves = sets.map((decided) => thresholdCurve(decided, catchAll, thresholds));
    const proposed = proposeThresholdForEach(curves, 0.03);
    expect(thresholds[proposed!]).toBe(config.intake.classifier.min_confidence);
  }, 120_000);
});
