import { readFileSync } from "node:fs";
import type { LabelledRequest } from "../../src/config/labelled.js";
import type { Router } from "../../src/routing/classify.js";
import { parseLabelled } from "../../src/routing/evaluate.js";
import { corpusBlocks } from "../../src/routing/out-of-fold.js";

/*
 * The learning protocol the routing benches share (bench/route.ts, bench/learning.ts,
 * bench/decision-similarity.ts): sets cut into halves, one half's failures rerouted as an
 * operator would and its successes confirmed, the other half checked.
 */

const DEV = "tests/fixtures/routing/dev.jsonl";

/** Labelled lines and what the classifier that routes them is trained on. */
export interface TuningSet {
  name: string;
  training: readonly LabelledRequest[];
  lines: readonly LabelledRequest[];
}

/**
 * The tuning sets: the corpus's blocks, each routed by a classifier trained on the others, and
 * dev.jsonl with the whole corpus; or, when `files` are named, those files with the whole corpus.
 */
export function tuningSets(
  corpus: readonly LabelledRequest[],
  files: readonly string[] = [],
): TuningSet[] {
  const labelled = (file: string, name = file.replace(/.*\//, "")): TuningSet => ({
    name,
    training: corpus,
    lines: parseLabelled(readFileSync(file, "utf8"), file),
  });
  if (files.length > 0) return files.map((file) => labelled(file));
  const folds = corpusBlocks(corpus).map(({ training, held }, block) => ({
    name: `fold ${block + 1}`,
    training,
    lines: held,
  }));
  return [...folds, labelled(DEV, "dev")];
}

/**
 * A business's month, as the corpus was written: its writers wrote 100–150 requests per
 * business, in runs, so a run of this many lines of a block is about one business.
 */
const BUSINESS_LINES = 150;

/**
 * The corpus's blocks cut into runs of about one business each, each routed by a classifier
 * trained on the other blocks: a hundred-odd sets shaped like one founder's requests, which the
 * classifier never saw (what a new deployment meets).
 */
export function businessSets(corpus: readonly LabelledRequest[]): TuningSet[] {
  return corpusBlocks(corpus).flatMap(({ training, held }, block) =>
    Array.from({ length: Math.floor(held.length / BUSINESS_LINES) }, (_, run) => ({
      name: `fold ${block + 1}, business ${run + 1}`,
      training,
      lines: held.slice(run * BUSINESS_LINES, (run + 1) * BUSINESS_LINES),
    })),
  );
}

/** What a labelled half fed the router, as a deployment would have. */
export interface Fed {
  reroutes: number;
  confirmations: number;
}

/**
 * Each request of `taught` is filed and decided as in a deployment: one the router misplaces (the
 * catch-all's own aside) is rerouted to its category, learned as an operator's reroute; one it
 * places right is done there, learned as a confirmation (`RoutingLearning.completed`), or as the
 * requester's choice when the text named its category. Resolves once the router has them.
 */
export async function teachDecisions(
  router: Router,
  taught: readonly LabelledRequest[],
  catchAll: string,
): Promise<Fed> {
  const fed: Fed = { reroutes: 0, confirmations: 0 };
  let id = 0;
  for (const request of taught) {
    if (request.category === catchAll) continue;
    const routed = router.route({ text: request.text, source: "console" });
    const right = routed.category === request.category;
    const origin = !right ? "reroute" : routed.rule === "explicit" ? "explicit" : "confirmation";
    if (origin === "reroute") fed.reroutes += 1;
    if (origin === "confirmation") fed.confirmations += 1;
    id += 1;
    router.learn({
      id,
      text: request.text,
      category: request.category,
      from: right ? null : routed.category,
      origin,
      taskId: id,
      actor: "bench",
      at: 0,
    });
  }
  await router.settled();
  return fed;
}
