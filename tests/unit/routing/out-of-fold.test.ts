import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import { createCategoryRouter } from "../../../src/routing/classify.js";
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
    const outOfFold = decideOutOfFold(config.categories, corpus, { source: "cli" });
    expect(outOfFold.map((decided) => decided.expected)).toEqual(corpus.map((c) => c.category));
    // Trained on its own line, a classifier is sure of it; without it, it is guessing.
    for (const decided of inSample) expect(decided.confidence).toBeGreaterThan(0.5);
    for (const decided of outOfFold) expect(decided.confidence).toBeLessThan(0.3);
  });
});
