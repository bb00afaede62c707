import { openingStems, tokenize } from "./tokenize.js";

/**
 * What the text classifier sees of a request: stemmed words, pairs of neighbouring stems,
 * character n-grams of each word, and the words it opens with. The n-grams are what carry a
 * misspelt word ("invocie", "calender") or an unseen form of a known one ("redeploying") to what
 * the classifier learned. The opening is where a request says what job it is ("fix…", "pay…",
 * "who…"), where the rest is mostly the business's own names, shared by all its categories.
 */
export type FeatureCounts = Map<string, number>;

/** Long pastes (logs, email threads) add little past their opening, and cost per character. */
const MAX_CHARS = 1_500;
/** Misspellings matter in what was typed, the opening lines; n-grams of a pasted log do not. */
const MAX_GRAM_CHARS = 600;
const CHAR_GRAM_SIZES = [3, 4] as const;
/** Shorter words are mostly noise as n-grams ("ok", "pr") and already count as words. */
const MIN_WORD_FOR_GRAMS = 4;
const WORD_OF_LETTERS = /\p{L}[\p{L}'’]*/gu;

/** The part of a request routing reads: what was typed, and the opening of anything pasted. */
export function routedPart(text: string): string {
  return text.length > MAX_CHARS ? text.slice(0, MAX_CHARS) : text;
}

/** `stems`: the routed part's tokens when the caller has them already. */
export function featureCounts(text: string, stems?: readonly string[]): FeatureCounts {
  const clipped = routedPart(text);
  const counts: FeatureCounts = new Map();
  stems ??= tokenize(clipped);
  const [first, second] = openingStems(clipped, 2);
  if (first !== undefined) add(counts, `l:${first}`);
  if (second !== undefined) add(counts, `l:${first}_${second}`);
  let previous: string | undefined;
  for (const stem of stems) {
    add(counts, `w:${stem}`);
    if (previous !== undefined) add(counts, `b:${previous}_${stem}`);
    previous = stem;
  }
  const grammed = clipped.length > MAX_GRAM_CHARS ? clipped.slice(0, MAX_GRAM_CHARS) : clipped;
  for (const word of grammed.toLowerCase().match(WORD_OF_LETTERS) ?? []) {
    if (word.length < MIN_WORD_FOR_GRAMS) continue;
    for (const gram of gramsOf(word)) add(counts, gram);
  }
  return counts;
}

/** Words repeat from request to request: their n-grams are made once (bounded: any text). */
const GRAM_CACHE_LIMIT = 20_000;
const grams = new Map<string, string[]>();

function gramsOf(word: string): string[] {
  let found = grams.get(word);
  if (found === undefined) {
    if (grams.size >= GRAM_CACHE_LIMIT) grams.clear();
    const padded = `<${word}>`;
    found = [];
    for (const size of CHAR_GRAM_SIZES)
      for (let at = 0; at + size <= padded.length; at++)
        found.push(`c:${padded.slice(at, at + size)}`);
    grams.set(word, found);
  }
  return found;
}

function add(counts: FeatureCounts, feature: string): void {
  counts.set(feature, (counts.get(feature) ?? 0) + 1);
}

/**
 * How much each family counts in the classifier. N-grams rescue misspellings without outvoting
 * the words: at 0.2 rather than 0.45 (word pairs 1 rather than 0.6) top-1 on the corpus's held-out
 * folds rose from 89.7 to 91.0 % and routed-right at ≤ 3 % silent by 5 points. The opening (`l`)
 * at 1.5: routed-right at ≤ 3 % silent on the folds 83.1 → 89.7 % (docs/performance.md).
 */
export const FAMILY_WEIGHT = { w: 1, b: 1, c: 0.2, l: 1.5 } as const;

/**
 * How much each family counts in `similarity`: the weights the learned-decision threshold
 * (`DECISION_SIMILARITY`, decide.ts) was measured with (`bench/decision-similarity.ts`), which
 * had no opening family: two requests alike in their words are alike however they open.
 */
const SIMILARITY_WEIGHT = { w: 1, b: 0.6, c: 0.45, l: 0 } as const;

/**
 * How alike two texts are: the cosine of their features, counted sublinearly and weighted by
 * family. No vocabulary and no idf, so it compares texts a classifier has not seen. A text
 * compared often passes its `magnitude`, computed once.
 */
export function similarity(
  a: FeatureCounts,
  b: FeatureCounts,
  aMagnitude = magnitude(a),
  bMagnitude = magnitude(b),
): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let shared = 0;
  small.forEach((count, feature) => {
    const other = large.get(feature);
    if (other !== undefined) shared += weighted(feature, count) * weighted(feature, other);
  });
  return shared === 0 ? 0 : shared / (aMagnitude * bMagnitude);
}

/** The length of a text's features as `similarity` weighs them. */
export function magnitude(counts: FeatureCounts): number {
  let sum = 0;
  counts.forEach((count, feature) => {
    sum += weighted(feature, count) ** 2;
  });
  return Math.sqrt(sum);
}

function weighted(feature: string, count: number): number {
  return (1 + Math.log(count)) * SIMILARITY_WEIGHT[familyOf(feature)];
}

/** Which family a feature belongs to; each family is weighted as a whole (`FAMILY_WEIGHT`). */
export type Family = keyof typeof FAMILY_WEIGHT;

export function familyOf(feature: string): Family {
  return feature[0] as Family;
}
