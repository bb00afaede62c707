import type { LabelledRequest } from "../config/labelled.js";
import type { CategoryConfig } from "../config/schema.js";
import { createCategoryRouter, type Router } from "./classify.js";
import type { LearnedExample } from "./learned.js";

/**
 * Labelled requests decided with no threshold, so each one's confidence can be compared to any
 * (`thresholdCurve`): what `steward route --fit` fits the threshold on.
 */
export interface Decided {
  expected: string;
  category: string;
  /** The decision's score; 0 for the catch-all, which no threshold keeps a request from. */
  confidence: number;
}

export function decideAll(
  router: Router,
  requests: readonly LabelledRequest[],
  source: string,
): Decided[] {
  const catchAll = router.categories.find((category) => category.catch_all)?.name;
  return requests.map((request) => {
    const routing = router.route({ text: request.text, source });
    return {
      expected: request.category,
      category: routing.category,
      confidence: routing.category === catchAll ? 0 : routing.score,
    };
  });
}

/** Blocks the corpus is cut into: five routers to train, each on four fifths. */
const FOLDS = 5;

/**
 * The corpus decided out of fold: cut into contiguous blocks, each routed by a classifier trained
 * without it; one list of decisions per block, in the corpus's order. Contiguous because a corpus
 * grows in runs of one writer or business, so a block is mostly requests the others never saw, as
 * a new business's are; thousands of them fit a 3 % tail better than a labelled file of a few
 * hundred (docs/performance.md, session 12). Kept apart because a threshold must hold for each new
 * business, not for their average (`proposeThresholdForEach`).
 */
export function decideOutOfFold(
  categories: readonly CategoryConfig[],
  corpus: readonly LabelledRequest[],
  options: { learned?: readonly LearnedExample[]; source: string },
): Decided[][] {
  return corpusBlocks(corpus).map(({ training, held }) => {
    const router = createCategoryRouter(categories, {
      minConfidence: 0,
      learned: options.learned,
      corpus: training,
    });
    return decideAll(router, held, options.source);
  });
}

/** The corpus cut into its contiguous blocks: each block held out, the rest to train on. */
export function corpusBlocks(
  corpus: readonly LabelledRequest[],
): { training: LabelledRequest[]; held: LabelledRequest[] }[] {
  const blockOf = (index: number) => Math.floor((index * FOLDS) / corpus.length);
  return Array.from({ length: FOLDS }, (_, block) => ({
    training: corpus.filter((_, index) => blockOf(index) !== block),
    held: corpus.filter((_, index) => blockOf(index) === block),
  }));
}
