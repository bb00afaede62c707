import {
  FAMILY_WEIGHT,
  type Family,
  type FeatureCounts,
  familyOf,
  featureCounts,
} from "./features.js";

/**
 * A multinomial logistic regression over word, word-pair and character n-gram features, trained
 * in seconds on what the config, its corpus and people's decisions say about each
 * category, with a naive Bayes model's word evidence added to its scores. Logistic regression
 * gives a probability usable as a confidence (naive Bayes alone pushes short texts to 0 or 1);
 * naive Bayes weighs each word by how often each category's texts use it, an estimate made
 * differently from the regression's, and together they separate right from wrong better than
 * either (docs/performance.md, session 15).
 */

export interface TrainingDoc {
  text: string;
  /** Index of the class (a category, in the router's order). */
  label: number;
  /** How much the document counts: a person's decision counts more than a description phrase. */
  weight: number;
  /**
   * Learned in this deployment (a decision, a confirmation): trains the regression, not naive
   * Bayes, whose counts would tie a business's recurring names (its customers, its products) to
   * the categories of the few requests that named them.
   */
  learned?: boolean;
}

export interface Prediction {
  /** Per class, summing to 1. */
  probabilities: Float64Array;
  /** The request as the classifier saw it, for `nearest` and `evidence`. */
  vector: SparseVector;
}

export interface SparseVector {
  indices: Int32Array;
  values: Float64Array;
}

export interface TrainingOptions {
  iterations: number;
  /** Adam's step size. */
  learningRate: number;
  /** L2 penalty: keeps one rare word from deciding a class alone. */
  l2: number;
}

/** Chosen on the development set with a held-out writer's corpus (docs/performance.md). */
export const DEFAULT_TRAINING: TrainingOptions = {
  iterations: 20,
  learningRate: 0.05,
  l2: 1e-4,
};

export class TextClassifier {
  private constructor(
    private readonly vocabulary: ReadonlyMap<string, number>,
    private readonly names: readonly string[],
    private readonly idf: Float64Array,
    private readonly unknownIdf: number,
    /** weights[feature * classes + class] */
    private readonly weights: Float64Array,
    private readonly classes: number,
    private readonly docs: readonly SparseVector[],
    private readonly labels: Int32Array,
    /** likelihoods[feature * classes + class]: naive Bayes's log P(feature | class); 0: not counted. */
    private readonly likelihoods: Float64Array,
  ) {}

  static train(
    docs: readonly TrainingDoc[],
    classes: number,
    options: TrainingOptions = DEFAULT_TRAINING,
  ): TextClassifier {
    return finish(TextClassifier.training(docs, classes, options));
  }

  /**
   * Training one pass at a time: the generator yields between passes, so a caller that retrains
   * while serving (a person's decision arrived) can let other work run in between.
   */
  static *training(
    docs: readonly TrainingDoc[],
    classes: number,
    options: TrainingOptions = DEFAULT_TRAINING,
  ): Generator<void, TextClassifier> {
    const counted = docs.map((doc) => featureCounts(doc.text));
    const vocabulary = new Map<string, number>();
    const documentFrequency: number[] = [];
    for (const counts of counted) {
      for (const feature of counts.keys()) {
        let index = vocabulary.get(feature);
        if (index === undefined) {
          index = vocabulary.size;
          vocabulary.set(feature, index);
          documentFrequency.push(0);
        }
        documentFrequency[index]! += 1;
      }
    }
    const idf = Float64Array.from(
      documentFrequency,
      (df) => Math.log((counted.length + 1) / (df + 1)) + 1,
    );
    const unknownIdf = Math.log(counted.length + 1) + 1;
    const vectors = counted.map((counts) => vectorize(counts, vocabulary, idf, unknownIdf));
    const labels = Int32Array.from(docs, (doc) => doc.label);
    const sampleWeights = balancedWeights(docs, classes);
    yield;
    const weights = yield* adam(vectors, labels, sampleWeights, vocabulary.size, classes, options);
    const names = [...vocabulary.keys()];
    const likelihoods = naiveBayes(docs, vectors, names, classes);
    return new TextClassifier(
      vocabulary,
      names,
      idf,
      unknownIdf,
      weights,
      classes,
      vectors,
      labels,
      likelihoods,
    );
  }

  /** `stems`: the text's tokens, when the caller has them already. */
  predict(text: string, stems?: readonly string[]): Prediction {
    return this.predictFeatures(featureCounts(text, stems));
  }

  /** As `predict`, from the text's features (`featureCounts`). */
  predictFeatures(counts: FeatureCounts): Prediction {
    const vector = vectorize(counts, this.vocabulary, this.idf, this.unknownIdf);
    return { probabilities: this.probabilities(vector), vector };
  }

  /**
   * Of the training documents `among` (indices in training order), the one most like the request
   * (cosine), if any shares a feature with it.
   */
  nearest(
    vector: SparseVector,
    among: Iterable<number>,
  ): { doc: number; similarity: number } | undefined {
    let best: { doc: number; similarity: number } | undefined;
    for (const doc of among) {
      const similarity = dot(vector, this.docs[doc]!);
      if (similarity > 0 && (best === undefined || similarity > best.similarity))
        best = { doc, similarity };
    }
    return best;
  }

  /** The indices of the training documents of `label`. */
  *docsOf(label: number): Generator<number> {
    for (let doc = 0; doc < this.docs.length; doc++) if (this.labels[doc] === label) yield doc;
  }

  /** The request's features that pushed hardest towards `label`, strongest first. */
  strongest(vector: SparseVector, label: number, family: Family, limit: number): string[] {
    const scored: { feature: string; push: number }[] = [];
    for (let at = 0; at < vector.indices.length; at++) {
      const index = vector.indices[at]!;
      const feature = this.names[index]!;
      if (familyOf(feature) !== family) continue;
      const push = this.weights[index * this.classes + label]! * vector.values[at]!;
      if (push > 0) scored.push({ feature, push });
    }
    return scored
      .sort((a, b) => b.push - a.push)
      .slice(0, limit)
      .map((entry) => entry.feature.slice(2));
  }

  private probabilities(vector: SparseVector): Float64Array {
    // No bias: the classes are balanced in training, and a bias would only favour one a priori.
    const scores = new Float64Array(this.classes);
    const evidence = new Float64Array(this.classes);
    let words = 0;
    for (let at = 0; at < vector.indices.length; at++) {
      const row = vector.indices[at]! * this.classes;
      const value = vector.values[at]!;
      for (let label = 0; label < this.classes; label++)
        scores[label]! += this.weights[row + label]! * value;
      // Zero for n-grams and for words naive Bayes did not count: they are no evidence.
      if (this.likelihoods[row] === 0) continue;
      words += 1;
      for (let label = 0; label < this.classes; label++)
        evidence[label]! += this.likelihoods[row + label]!;
    }
    // Adding to the scores multiplies the probabilities by naive Bayes's likelihoods, tempered by
    // the request's length so that a long paste's many words do not outvote the classifier.
    const scale = words === 0 ? 0 : NAIVE_BAYES_WEIGHT / Math.sqrt(words);
    for (let label = 0; label < this.classes; label++) scores[label]! += scale * evidence[label]!;
    return softmax(scores);
  }
}

/**
 * Sublinear counts × idf × family weight, scaled to unit length over all the text's features.
 * Unknown features then take no part in scoring but shorten the rest.
 */
function vectorize(
  counts: FeatureCounts,
  vocabulary: ReadonlyMap<string, number>,
  idf: Float64Array,
  unknownIdf: number,
): SparseVector {
  const indices = new Int32Array(counts.size);
  if (scratch.length < idf.length) scratch = new Float64Array(idf.length);
  let known = 0;
  let norm = 0;
  // forEach, not for…of: no [key, value] pair allocated per feature.
  counts.forEach((count, feature) => {
    const index = vocabulary.get(feature);
    // An unknown feature weighs like the rarest known one in the norm, so a request made mostly
    // of words no category knows ("banana purple elephant") keeps a short vector and a low
    // confidence, instead of one shared letter-triple deciding it.
    const value =
      (1 + Math.log(count)) *
      (index === undefined ? unknownIdf : idf[index]!) *
      FAMILY_WEIGHT[familyOf(feature)];
    norm += value * value;
    if (index === undefined) return;
    indices[known++] = index;
    scratch[index] = value;
  });
  // Sorted by feature, so two vectors meet in one merge (see `dot`).
  const sorted = indices.subarray(0, known).sort();
  const scale = norm === 0 ? 0 : 1 / Math.sqrt(norm);
  const values = new Float64Array(known);
  for (let at = 0; at < known; at++) values[at] = scratch[sorted[at]!]! * scale;
  return { indices: sorted, values };
}

/** Each known feature's value while one vector is built: no map per request. */
let scratch = new Float64Array(0);

/**
 * How much naive Bayes's evidence counts beside the logistic regression, and its smoothing:
 * chosen on the corpus's out-of-fold predictions (docs/performance.md, session 15).
 */
const NAIVE_BAYES_WEIGHT = 0.4;
const NAIVE_BAYES_SMOOTHING = 0.2;

/**
 * Naive Bayes's log P(feature | class) for words and word pairs, from in how many of each class's
 * documents a feature appears (a document counts it once: a pasted log repeating a word says no
 * more). Character n-grams stay 0: they repeat what the words say, spelt differently. Learned
 * documents are left out (`TrainingDoc.learned`): on the corpus's single businesses, taught half
 * by half, counting them lost what learning gained (docs/performance.md, session 15).
 */
function naiveBayes(
  docs: readonly TrainingDoc[],
  vectors: readonly SparseVector[],
  names: readonly string[],
  classes: number,
): Float64Array {
  const counted = new Float64Array(names.length * classes);
  const totals = new Float64Array(classes);
  const isWord = names.map((name) => familyOf(name) !== "c");
  for (let doc = 0; doc < vectors.length; doc++) {
    if (docs[doc]!.learned) continue;
    const label = docs[doc]!.label;
    for (const index of vectors[doc]!.indices) {
      if (!isWord[index]) continue;
      counted[index * classes + label]! += 1;
      totals[label]! += 1;
    }
  }
  const words = isWord.filter(Boolean).length;
  const likelihoods = new Float64Array(counted.length);
  for (let index = 0; index < names.length; index++) {
    if (!isWord[index]) continue;
    // A word only learned examples use stays 0, as n-grams do: naive Bayes never counted it, and
    // its smoothed likelihoods would differ by class only by how much text each class has.
    let seen = 0;
    for (let label = 0; label < classes; label++) seen += counted[index * classes + label]!;
    if (seen === 0) continue;
    for (let label = 0; label < classes; label++) {
      const at = index * classes + label;
      likelihoods[at] = Math.log(
        (counted[at]! + NAIVE_BAYES_SMOOTHING) / (totals[label]! + NAIVE_BAYES_SMOOTHING * words),
      );
    }
  }
  return likelihoods;
}

/** Each class weighs the same in total, so a category with many examples is not favoured. */
function balancedWeights(docs: readonly TrainingDoc[], classes: number): Float64Array {
  const totals = new Float64Array(classes);
  for (const doc of docs) totals[doc.label]! += doc.weight;
  const present = totals.filter((total) => total > 0).length;
  const share = docs.reduce((sum, doc) => sum + doc.weight, 0) / Math.max(present, 1);
  return Float64Array.from(docs, (doc) => (doc.weight * share) / totals[doc.label]!);
}

/**
 * Full-batch Adam on the weighted cross-entropy. Full batches, not stochastic steps: the result
 * does not depend on the order of the documents, so two categories described alike come out
 * exactly alike and tie, instead of one winning by the shuffle. Adam's per-feature step sizes
 * reach in 20 passes what plain gradient descent needed 80 for.
 */
function* adam(
  vectors: readonly SparseVector[],
  labels: Int32Array,
  sampleWeights: Float64Array,
  features: number,
  classes: number,
  options: TrainingOptions,
): Generator<void, Float64Array> {
  const weights = new Float64Array(features * classes);
  const gradient = new Float64Array(weights.length);
  const first = new Float64Array(weights.length);
  const second = new Float64Array(weights.length);
  const scores = new Float64Array(classes);
  const total = sampleWeights.reduce((sum, weight) => sum + weight, 0);
  // The gradient is Σ weight·p(class)·x − Σ weight·x over the class's own documents. The second
  // sum never changes, and keeping the two apart keeps the arithmetic of two identical classes
  // identical to the last bit: Adam would otherwise blow a rounding difference up into a winner.
  const target = new Float64Array(weights.length);
  for (let doc = 0; doc < vectors.length; doc++) {
    const { indices, values } = vectors[doc]!;
    const weight = sampleWeights[doc]! / total;
    for (let at = 0; at < indices.length; at++)
      target[indices[at]! * classes + labels[doc]!]! += weight * values[at]!;
  }
  for (let step = 1; step <= options.iterations; step++) {
    for (let index = 0; index < gradient.length; index++) gradient[index] = -target[index]!;
    for (let doc = 0; doc < vectors.length; doc++) {
      const { indices, values } = vectors[doc]!;
      scores.fill(0);
      for (let at = 0; at < indices.length; at++) {
        const row = indices[at]! * classes;
        const value = values[at]!;
        for (let label = 0; label < classes; label++)
          scores[label]! += weights[row + label]! * value;
      }
      softmaxInPlace(scores);
      const weight = sampleWeights[doc]! / total;
      for (let label = 0; label < classes; label++) scores[label]! *= weight;
      for (let at = 0; at < indices.length; at++) {
        const row = indices[at]! * classes;
        const value = values[at]!;
        for (let label = 0; label < classes; label++)
          gradient[row + label]! += scores[label]! * value;
      }
    }
    const firstBias = 1 - ADAM_BETA1 ** step;
    const secondBias = 1 - ADAM_BETA2 ** step;
    for (let index = 0; index < weights.length; index++) {
      const g = gradient[index]! + options.l2 * weights[index]!;
      first[index] = ADAM_BETA1 * first[index]! + (1 - ADAM_BETA1) * g;
      second[index] = ADAM_BETA2 * second[index]! + (1 - ADAM_BETA2) * g * g;
      weights[index]! -=
        (options.learningRate * (first[index]! / firstBias)) /
        (Math.sqrt(second[index]! / secondBias) + ADAM_EPSILON);
    }
    yield;
  }
  return weights;
}

/** Runs a stepwise computation to its end, at once. */
export function finish<T>(steps: Generator<void, T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;

function softmax(scores: Float64Array): Float64Array {
  const result = Float64Array.from(scores);
  softmaxInPlace(result);
  return result;
}

function softmaxInPlace(scores: Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (const score of scores) max = Math.max(max, score);
  let sum = 0;
  for (let label = 0; label < scores.length; label++) {
    scores[label] = Math.exp(scores[label]! - max);
    sum += scores[label]!;
  }
  for (let label = 0; label < scores.length; label++) scores[label]! /= sum;
}

/** Cosine of two unit vectors sorted by feature. */
function dot(a: SparseVector, b: SparseVector): number {
  let sum = 0;
  let i = 0;
  let j = 0;
  while (i < a.indices.length && j < b.indices.length) {
    const left = a.indices[i]!;
    const right = b.indices[j]!;
    if (left === right) sum += a.values[i++]! * b.values[j++]!;
    else if (left < right) i++;
    else j++;
  }
  return sum;
}
