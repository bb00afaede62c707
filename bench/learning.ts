/**
 * What learning from people's decisions teaches the rest of a business, on the tuning sets: the
 * corpus's five blocks (each a few businesses, routed by a classifier trained on the other four)
 * and dev.jsonl (one business, routed by one trained on the whole corpus). Each set's lines are
 * cut into halves (even, odd); one half is filed and every request of it that was misrouted or
 * sent to the catch-all is rerouted to its category, as an operator would (learned as a reroute),
 * and every one placed right is done there (learned as a confirmation); the other half's accuracy and silent misroutes before and after, both ways round. The bench's
 * learning line (bench/route.ts) is the same protocol on one half of the held-out set.
 * Run: `npx tsx bench/learning.ts [FILE.jsonl…]` (about a minute; labelled files named are
 * measured instead, each with the whole corpus: the held-out sets, once, at the end of a change).
 * `--businesses` runs the protocol on runs of about one business of the corpus's blocks instead
 * (`businessSets`, a few minutes) and counts the halves that meet the must-show: at least 85 %
 * right with at most 3 % silent misroutes after learning.
 */
import { loadConfigFile } from "../src/config/load.js";
import { createCategoryRouter } from "../src/routing/classify.js";
import type { LabelledRequest } from "../src/routing/evaluate.js";
import {
  businessSets,
  type Fed,
  type TuningSet,
  teachDecisions,
  tuningSets,
} from "./support/learning-protocol.js";

interface Checked {
  right: number;
  silent: number;
}

const config = loadConfigFile("config/steward.yaml", {});
const minConfidence = config.intake.classifier.min_confidence;
const catchAll = config.categories.find((category) => category.catch_all)!.name;
const corpus = config.corpus ?? [];

/** One half teaches, the other is checked before and after. */
async function learning(
  set: TuningSet,
  taught: readonly LabelledRequest[],
  checked: readonly LabelledRequest[],
): Promise<{ before: Checked; after: Checked; fed: Fed }> {
  // Every confirmation counts at once, as over the weeks a half's requests take in a deployment.
  const router = createCategoryRouter(config.categories, {
    minConfidence,
    corpus: set.training,
    confirmationPaceMs: 0,
  });
  const check = (): Checked => {
    let right = 0;
    let silent = 0;
    for (const request of checked) {
      const routed = router.route({ text: request.text, source: "console" }).category;
      if (routed === request.category) right += 1;
      else if (routed !== catchAll) silent += 1;
    }
    return { right, silent };
  };
  const before = check();
  const fed = await teachDecisions(router, taught, catchAll);
  return { before, after: check(), fed };
}

const pct = (part: number, whole: number) => `${((part / whole) * 100).toFixed(1)} %`;
const byBusiness = process.argv.includes("--businesses");
const files = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
const sets = byBusiness ? businessSets(corpus) : tuningSets(corpus, files);
const folds = { checked: 0, before: 0, after: 0, silentBefore: 0, silentAfter: 0 };
let worst = 0;
let halves = 0;
let meeting = 0;
console.log("set, half that teaches: checked half's accuracy before → after, silent misroutes");
for (const set of sets) {
  const even = set.lines.filter((_, index) => index % 2 === 0);
  const odd = set.lines.filter((_, index) => index % 2 === 1);
  for (const [half, taught, checked] of [
    ["even", even, odd],
    ["odd", odd, even],
  ] as const) {
    const { before, after, fed } = await learning(set, taught, checked);
    const n = checked.length;
    halves += 1;
    if (after.right / n >= 0.85 && after.silent / n <= 0.03) meeting += 1;
    if (!byBusiness)
      console.log(
        `${`${set.name}, ${half}`.padEnd(32)} ${pct(before.right, n)} → ${pct(after.right, n)}` +
          `  silent ${pct(before.silent, n)} → ${pct(after.silent, n)}` +
          `  (${fed.reroutes} reroutes, ${fed.confirmations} confirmations)`,
      );
    worst = Math.max(worst, after.silent / n);
    if (!set.name.startsWith("fold")) continue;
    folds.checked += n;
    folds.before += before.right;
    folds.after += after.right;
    folds.silentBefore += before.silent;
    folds.silentAfter += after.silent;
  }
}
if (folds.checked > 0)
  console.log(
    `folds pooled: ${pct(folds.before, folds.checked)} → ${pct(folds.after, folds.checked)},` +
      ` silent ${pct(folds.silentBefore, folds.checked)} → ${pct(folds.silentAfter, folds.checked)}`,
  );
console.log(`worst checked half's silent misroutes after: ${(worst * 100).toFixed(1)} %`);
console.log(`halves at ≥ 85 % right with ≤ 3 % silent after learning: ${meeting} of ${halves}`);
