/**
 * How close a request must come to a person's decision for the decision to route it
 * (`DECISION_SIMILARITY`, src/routing/decide.ts), measured on the learning protocol and on the
 * tuning sets only: the corpus's five blocks, each routed by a classifier trained on the other
 * four, and dev.jsonl routed by one trained on the whole corpus. Each set's lines are cut into
 * halves (even, odd); the failures of one half (misrouted or sent to the catch-all) become decisions,
 * as an operator's reroutes would, and each request of the other half meets its nearest decision
 * (the features' cosine, as `CategoryModel.closestDecision` computes it). For each similarity on
 * the grid: how many requests the rule would decide, how many of those it sends where they belong,
 * and what it does to accuracy and silent misroutes beside the classifier's own routing.
 *
 * Proposed: the lowest similarity at which the rule, there and at every higher one, is right at
 * least as often as the classifier is when it routes (its precision at `min_confidence` on the
 * same requests): a decision should only override the classifier where it knows better.
 * Run: `npx tsx bench/decision-similarity.ts` (about 30 s: six trainings).
 */
import { loadConfigFile } from "../src/config/load.js";
import { createCategoryRouter } from "../src/routing/classify.js";
import {
  type FeatureCounts,
  familyOf,
  featureCounts,
  magnitude,
  similarity,
} from "../src/routing/features.js";
import { tuningSets } from "./support/learning-protocol.js";

const GRID = Array.from({ length: 14 }, (_, step) => 0.3 + step * 0.05);

/** One checked request and the nearest decision of the other half. */
interface Met {
  half: string;
  similarity: number;
  decided: string;
  routed: string;
  expected: string;
}

interface Decision {
  category: string;
  features: FeatureCounts;
  magnitude: number;
}

const config = loadConfigFile("config/steward.yaml", {});
const minConfidence = config.intake.classifier.min_confidence;
const catchAll = config.categories.find((category) => category.catch_all)!.name;
const corpus = config.corpus ?? [];

/** As `closestDecision`: only decisions sharing a word with the request are compared. */
function nearest(
  features: FeatureCounts,
  decisions: readonly Decision[],
): Decision & { alike: number } {
  const own = magnitude(features);
  let best: Decision & { alike: number } = { category: catchAll, features, magnitude: 0, alike: 0 };
  for (const decision of decisions) {
    let shares = false;
    for (const feature of features.keys())
      if (familyOf(feature) === "w" && decision.features.has(feature)) {
        shares = true;
        break;
      }
    if (!shares) continue;
    const alike = similarity(features, decision.features, own, decision.magnitude);
    if (alike > best.alike) best = { ...decision, alike };
  }
  return best;
}

const met: Met[] = [];
const halves = new Map<string, number>();
let routedByClassifier = 0;
let routedRight = 0;
for (const set of tuningSets(corpus)) {
  const router = createCategoryRouter(config.categories, { minConfidence, corpus: set.training });
  const routed = set.lines.map(
    (request) => router.route({ text: request.text, source: "console" }).category,
  );
  for (const parity of [0, 1]) {
    const half = `${set.name}, ${parity === 0 ? "even" : "odd"} half teaches`;
    const decisions: Decision[] = set.lines.flatMap((request, index) => {
      if (index % 2 !== parity || routed[index] === request.category) return [];
      if (request.category === catchAll) return [];
      const features = featureCounts(request.text);
      return [{ category: request.category, features, magnitude: magnitude(features) }];
    });
    let checked = 0;
    set.lines.forEach((request, index) => {
      if (index % 2 === parity) return;
      checked += 1;
      if (routed[index] !== catchAll) {
        routedByClassifier += 1;
        if (routed[index] === request.category) routedRight += 1;
      }
      const closest = nearest(featureCounts(request.text), decisions);
      met.push({
        half,
        similarity: closest.alike,
        decided: closest.category,
        routed: routed[index]!,
        expected: request.category,
      });
    });
    halves.set(half, checked);
  }
}

const classifierPrecision = routedRight / routedByClassifier;
const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
console.log(
  `${met.length} checked requests (five folds and dev, both halves); the classifier, where it` +
    ` routes at ${minConfidence}, is right ${pct(classifierPrecision)} of the time`,
);
console.log("similarity  decided  right  precision  accuracy change  silent change (worst half)");
const rows = GRID.map((atLeast) => {
  const fired = met.filter((item) => item.similarity >= atLeast);
  const right = fired.filter((item) => item.decided === item.expected).length;
  let change = 0;
  const silentByHalf = new Map<string, number>();
  for (const item of fired) {
    change += Number(item.decided === item.expected) - Number(item.routed === item.expected);
    const silent = (category: string) =>
      Number(category !== item.expected && category !== catchAll);
    silentByHalf.set(
      item.half,
      (silentByHalf.get(item.half) ?? 0) + silent(item.decided) - silent(item.routed),
    );
  }
  const worst = Math.max(0, ...[...silentByHalf].map(([half, added]) => added / halves.get(half)!));
  const precision = fired.length === 0 ? 1 : right / fired.length;
  console.log(
    `${atLeast.toFixed(2).padStart(10)}  ${String(fired.length).padStart(7)}  ${String(right).padStart(5)}` +
      `  ${(fired.length === 0 ? "–" : pct(precision)).padStart(9)}  ${`${change >= 0 ? "+" : ""}${change}`.padStart(15)}` +
      `  ${`${worst > 0 ? "+" : ""}${pct(worst)}`.padStart(26)}`,
  );
  return { atLeast, precision };
});
const proposed = rows.find((_, index) =>
  rows.slice(index).every((row) => row.precision >= classifierPrecision),
);
console.log(
  proposed === undefined
    ? "no similarity on the grid: the rule is never as right as the classifier"
    : `proposed: DECISION_SIMILARITY = ${proposed.atLeast.toFixed(2)}`,
);
