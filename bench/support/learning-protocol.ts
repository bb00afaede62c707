import { readFileSync } from "node:fs";
import type { LabelledRequest } from "../../src/config/labelled.js";
import type { Router } from "../../src/routing/classify.js";
import { parseLabelled } from "../../src/routing/evaluate.js";
import { corpusBlocks } from "../../src/routing/out-of-fold.js";

/*
 * The learning protocol the routing benches share (bench/route.ts, bench/learning.ts,
 * bench/decision-similarity.ts): sets cut into halves, one half's failures rerouted as an
 * operator would, the other half checked.
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
 * Each request of `taught` the router misplaces (the catch-all's own aside) is rerouted to its
 * category, learned as an operator's reroute; resolves with how many, once the router has them.
 */
export async function teachReroutes(
  router: Router,
  taught: readonly LabelledRequest[],
  catchAll: string,
): Promise<number> {
  let reroutes = 0;
  for (const request of taught) {
    const routed = router.route({ text: request.text, source: "console" }).category;
    if (routed === request.category || request.category === catchAll) continue;
    reroutes += 1;
    router.learn({
      id: reroutes,
      text: request.text,
      category: request.category,
      from: routed,
      origin: "reroute",
      taskId: reroutes,
      actor: "bench",
      at: 0,
    });
  }
  await router.settled();
  return reroutes;
}
