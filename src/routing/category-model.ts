import { createHash } from "node:crypto";
import type { LabelledRequest } from "../config/labelled.js";
import type { CategoryConfig } from "../config/schema.js";
import {
  type FeatureCounts,
  familyOf,
  featureCounts,
  magnitude,
  routedPart,
  similarity,
} from "./features.js";
import { CONFIRMATIONS_KEPT, type LearnedExample } from "./learned.js";
import { finish, type SparseVector, TextClassifier, type TrainingDoc } from "./text-classifier.js";
import { type Term, terms } from "./tokenize.js";

/**
 * The text classifier of the candidate categories: what it is trained on, and retraining when a
 * person's decision arrives (lazily, at the next request, so a burst of decisions trains once).
 */

export interface ModelPrediction {
  /** Per candidate category, in config order. */
  probabilities: Float64Array;
  /** How much the request reads like what fits nowhere: 0 unless the catch-all is taught. */
  nowhere: number;
  vector: SparseVector;
  /** The request's features, before the classifier's vocabulary drops what it has not seen. */
  features: FeatureCounts;
  /** The request's words as written, with their stems: for naming the telling ones. */
  written: readonly Term[];
}

/**
 * How much each kind of text counts: an example written in the config says more than one phrase
 * of a description. A person's decision counts as a corpus line: it is the request itself, and the
 * requests like it, that it decides (`closestDecision`); weighing it more taught the rest of its
 * business less (3: the other half +0.4 points on the corpus's folds, its worst silent rate 3.8 %;
 * 10: −0.7; 30: −5.0; docs/performance.md).
 */
const WEIGHT = { description: 1, keyword: 1, corpus: 1, example: 1.5, learned: 1 } as const;

/**
 * A confirmation alone does not retrain the classifier: one says little, and nearly every task
 * done brings one. They are trained on with the next decision, or once this many have come.
 */
const CONFIRMATIONS_PER_RETRAINING = 10;

/**
 * Nor, by default, more often than every ten minutes: a retraining costs seconds of CPU, and a
 * burst of tasks done (a backlog drained) would otherwise retrain back to back while it lasts.
 */
const CONFIRMATION_RETRAINING_PACE_MS = 600_000;

/** A description is a list of topics: each phrase teaches on its own, like a short request. */
const PHRASE_BREAK = /[,;:\n]|\s+(?:and|or)\s+/;

/** Where a training document came from: a person's decision is named in explanations. */
type Source = { kind: "config" | "confirmation" } | { kind: "learned"; example: LearnedExample };

/**
 * The categories the model tells apart. The catch-all is one of them, last, only when the corpus
 * teaches it what fits nowhere: a class learnt from a stray example or two would swallow requests.
 */
function classesOf(
  candidates: readonly CategoryConfig[],
  catchAll: CategoryConfig,
  corpus: readonly LabelledRequest[],
): readonly CategoryConfig[] {
  const taught = corpus.some((request) => request.category === catchAll.name);
  return taught ? [...candidates, catchAll] : candidates;
}

/** What one training produced: the classifier and what its training documents were. */
interface Trained {
  classifier: TextClassifier;
  sources: Source[];
  /** Per class, the training documents that are learned examples. */
  learnedDocs: number[][];
}

export class CategoryModel {
  private readonly classes: readonly CategoryConfig[];
  private readonly indexOf: ReadonlyMap<string, number>;
  /** People's decisions, by id. */
  private readonly learned = new Map<number, LearnedExample>();
  /**
   * Confirmations, oldest first: the classifier trains on the latest `CONFIRMATIONS_KEPT`. One
   * comes with nearly every task done, so they are only appended, and the list is cut back now
   * and then (`remember`), not kept to size in a map on every task.
   */
  private confirmations: LearnedExample[] = [];
  /** The tasks of `confirmations`: one learned again (read back from a shared store) is not new. */
  private confirmedTasks = new Set<number | null>();
  private current: Trained | undefined;
  /** The retraining under way, while a person's decision is being learned. */
  private retraining: Promise<void> | undefined;
  /** A decision was learned that the classifier has not been trained on. */
  private stale = false;
  /** Confirmations learned since the last retraining began (`CONFIRMATIONS_PER_RETRAINING`). */
  private waitingConfirmations = 0;
  /** When the last retraining began (`performance.now()`), or the model was made. */
  private retrainedAt = performance.now();
  /** Bumped by every forget: a retraining that started before one is stale. */
  private forgets = 0;
  /** Every learned example's features, and which examples hold each word: for `closestDecision`. */
  private readonly decisions = new Map<number, { features: FeatureCounts; magnitude: number }>();
  private readonly byWord = new Map<string, Set<number>>();

  constructor(
    private readonly candidates: readonly CategoryConfig[],
    catchAll: CategoryConfig,
    learned: readonly LearnedExample[],
    private readonly corpus: readonly LabelledRequest[] = [],
    /** Least time between retrainings that confirmations alone ask for. */
    private readonly confirmationPaceMs = CONFIRMATION_RETRAINING_PACE_MS,
  ) {
    this.classes = classesOf(candidates, catchAll, corpus);
    this.indexOf = new Map(this.classes.map((category, index) => [category.name, index]));
    for (const example of learned) this.remember(example);
  }

  /**
   * Learns a person's decision: requests very like it follow it at once (`closestDecision`), and
   * the classifier retrains on it in the background, a pass per turn of the event loop, so that
   * serving never stalls. A confirmation only trains the classifier, with others.
   */
  learn(example: LearnedExample): boolean {
    if (!this.remember(example)) return false;
    if (this.current === undefined) return true;
    if (example.origin === "confirmation") {
      this.waitingConfirmations += 1;
      if (this.waitingConfirmations < CONFIRMATIONS_PER_RETRAINING) return true;
      // Paced by the process's own time, not the engine's clock: it is CPU being spent.
      if (performance.now() - this.retrainedAt < this.confirmationPaceMs) return true;
    }
    this.stale = true;
    this.retraining ??= this.retrain().finally(() => {
      this.retraining = undefined;
    });
    return true;
  }

  warm(): void {
    this.trained();
  }

  /** Resolves once every decision learned so far is part of the classifier. */
  async settled(): Promise<void> {
    while (this.retraining !== undefined) await this.retraining;
  }

  /** Unlearns a decision at once: the next request is routed by a classifier trained without it. */
  forget(id: number): boolean {
    if (!this.learned.delete(id)) return false;
    const decision = this.decisions.get(id);
    this.decisions.delete(id);
    for (const feature of decision?.features.keys() ?? []) this.byWord.get(feature)?.delete(id);
    this.unlearned();
    return true;
  }

  /** The ids of the decisions learned. */
  learnedDecisions(): number[] {
    return [...this.learned.keys()];
  }

  /** Unlearns the confirmation of the task `taskId` at once, as `forget` a decision. */
  unconfirm(taskId: number): boolean {
    // Most a refresh names are long unlearned: a lookup, not a scan of every confirmation each.
    if (!this.confirmedTasks.has(taskId)) return false;
    const confirmation = this.confirmations.findIndex((example) => example.taskId === taskId);
    if (confirmation === -1) return false;
    this.confirmations.splice(confirmation, 1);
    this.confirmedTasks.delete(taskId);
    this.unlearned();
    return true;
  }

  /** `written`, `stems`: the routed part's terms and their stems, when the caller has them. */
  predict(
    text: string,
    written: readonly Term[] = terms(routedPart(text)),
    stems: readonly string[] = written.map((term) => term.stem),
  ): ModelPrediction {
    const features = featureCounts(text, stems);
    const { probabilities, vector } = this.trained().classifier.predictFeatures(features);
    const candidates = this.candidates.length;
    return {
      probabilities: probabilities.subarray(0, candidates),
      nowhere: probabilities[candidates] ?? 0,
      vector,
      features,
      written,
    };
  }

  /**
   * The request's words that pushed it hardest towards `category`, as the requester wrote them
   * ("fix", not a training text's "fixed").
   */
  telling(prediction: ModelPrediction, category: number, limit: number): string[] {
    const { classifier } = this.trained();
    const strongest = classifier.strongest(prediction.vector, category, "w", limit);
    return strongest.map(
      (stem) => prediction.written.find((term) => term.stem === stem)?.word ?? stem,
    );
  }

  /**
   * The learned example of `category` most like the request, when it is at least `atLeast` alike
   * and no other training text of the category is closer. Learned examples are few, so the
   * category's other texts are compared only when one of them comes close.
   */
  closestLearned(
    prediction: ModelPrediction,
    category: number,
    atLeast: number,
  ): { example: LearnedExample; similarity: number } | undefined {
    const { classifier, learnedDocs, sources } = this.trained();
    const nearest = classifier.nearest(prediction.vector, learnedDocs[category] ?? []);
    if (nearest === undefined || nearest.similarity < atLeast) return undefined;
    const closest = classifier.nearest(prediction.vector, classifier.docsOf(category));
    const source = closest && sources[closest.doc];
    if (source?.kind !== "learned") return undefined;
    return { example: source.example, similarity: closest!.similarity };
  }

  /**
   * The person's decision (a learned example of a candidate category) most like the request, when
   * it is at least `atLeast` alike: the cosine of their features, so it needs no training.
   */
  closestDecision(
    prediction: ModelPrediction,
    atLeast: number,
  ): { example: LearnedExample; category: number; similarity: number } | undefined {
    // Most routers have learned nothing yet: no work on the request's path for them.
    if (this.decisions.size === 0) return undefined;
    const { features } = prediction;
    const candidates = new Set<number>();
    features.forEach((_, feature) => {
      if (familyOf(feature) !== "w") return;
      for (const id of this.byWord.get(feature) ?? []) candidates.add(id);
    });
    if (candidates.size === 0) return undefined;
    const requestMagnitude = magnitude(features);
    let best: { example: LearnedExample; category: number; similarity: number } | undefined;
    for (const id of candidates) {
      const decision = this.decisions.get(id)!;
      const alike = similarity(features, decision.features, requestMagnitude, decision.magnitude);
      if (alike < atLeast || (best !== undefined && alike <= best.similarity)) continue;
      const example = this.learned.get(id)!;
      best = { example, category: this.indexOf.get(example.category)!, similarity: alike };
    }
    return best;
  }

  /** Something learned is gone: the classifier trained on it is dropped, and any retraining under way. */
  private unlearned(): void {
    this.forgets += 1;
    this.current = undefined;
  }

  /** Keeps a decision; false for one that teaches nothing. */
  private remember(example: LearnedExample): boolean {
    // A decision for a category that is no longer configured (or an untaught catch-all) teaches nothing.
    const category = this.indexOf.get(example.category);
    if (category === undefined) return false;
    // A confirmation is no route to follow: the router already sent that request where it belongs.
    if (example.origin === "confirmation") {
      // The catch-all's tasks confirm nothing (start-up reads them with the rest).
      if (category >= this.candidates.length) return false;
      if (this.confirmedTasks.has(example.taskId)) return false;
      // Start-up lists them oldest first, and later ones come after.
      this.confirmations.push(example);
      this.confirmedTasks.add(example.taskId);
      if (this.confirmations.length >= 2 * CONFIRMATIONS_KEPT) {
        this.confirmations = this.confirmations.slice(-CONFIRMATIONS_KEPT);
        this.confirmedTasks = new Set(this.confirmations.map((kept) => kept.taskId));
      }
      return true;
    }
    // A decision read again (a refresh) is no news.
    if (this.learned.has(example.id)) return false;
    this.learned.set(example.id, example);
    // The catch-all's examples teach the classifier; they are no route to follow.
    if (category >= this.candidates.length) return true;
    const features = featureCounts(example.text);
    this.decisions.set(example.id, { features, magnitude: magnitude(features) });
    features.forEach((_, feature) => {
      // Words only: a decision shares at least one with any request alike enough to count.
      if (familyOf(feature) !== "w") return;
      const ids = this.byWord.get(feature) ?? new Set<number>();
      ids.add(example.id);
      this.byWord.set(feature, ids);
    });
    return true;
  }

  private trained(): Trained {
    this.current ??= finish(this.training());
    return this.current;
  }

  /** Trains anew on what is learned now, a pass per turn of the event loop. */
  private async retrain(): Promise<void> {
    while (this.stale) {
      this.stale = false;
      this.waitingConfirmations = 0;
      this.retrainedAt = performance.now();
      const forgets = this.forgets;
      const steps = this.training();
      let next = steps.next();
      while (!next.done) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        next = steps.next();
      }
      // A forget since the start: this training holds what was forgotten; the next request trains.
      if (forgets !== this.forgets || this.current === undefined) continue;
      this.current = next.value;
    }
  }

  private *training(): Generator<void, Trained> {
    const docs: TrainingDoc[] = [];
    const sources: Source[] = [];
    const add = (text: string, label: number, weight: number, source: Source) => {
      docs.push({ text, label, weight, learned: source.kind !== "config" });
      sources.push(source);
    };
    const config: Source = { kind: "config" };
    this.classes.forEach((category, label) => {
      // The catch-all's description ("fits no other category") says nothing about its requests.
      if (!category.catch_all) {
        add(category.description, label, WEIGHT.description, config);
        for (const phrase of category.description.split(PHRASE_BREAK)) {
          if (phrase.trim().length > 2) add(phrase, label, WEIGHT.description, config);
        }
      }
      for (const example of category.examples) add(example, label, WEIGHT.example, config);
      for (const keyword of category.match.keywords) add(keyword, label, WEIGHT.keyword, config);
    });
    for (const request of this.corpus) {
      const label = this.indexOf.get(request.category);
      if (label !== undefined) add(request.text, label, WEIGHT.corpus, config);
    }
    for (const example of inLearningOrder(
      [...this.learned.values()],
      this.confirmations.slice(-CONFIRMATIONS_KEPT),
    )) {
      const label = this.indexOf.get(example.category);
      if (label === undefined) continue;
      const confirmed = example.origin === "confirmation";
      add(
        example.text,
        label,
        WEIGHT.learned,
        confirmed ? CONFIRMED : { kind: "learned", example },
      );
    }
    const learnedDocs: number[][] = this.classes.map(() => []);
    sources.forEach((source, doc) => {
      if (source.kind === "learned") learnedDocs[docs[doc]!.label]!.push(doc);
    });
    const classifier = yield* trainedOnce(docs, this.classes.length);
    return { classifier, sources, learnedDocs };
  }
}

const CONFIRMED: Source = { kind: "confirmation" };

/** Decisions and confirmations as they were learned: two lists in time order, merged. */
function* inLearningOrder(
  decisions: readonly LearnedExample[],
  confirmations: readonly LearnedExample[],
): Generator<LearnedExample> {
  let next = 0;
  for (const decision of decisions) {
    while (next < confirmations.length && confirmations[next]!.at < decision.at)
      yield confirmations[next++]!;
    yield decision;
  }
  while (next < confirmations.length) yield confirmations[next++]!;
}

/**
 * Trained classifiers by what they were trained on. A model is immutable and training the same
 * texts gives the same model, so routers built from one config (a command, then the engine; the
 * tests' many engines) train once. Bounded: learning changes the texts.
 */
const TRAINED_LIMIT = 4;
const trained = new Map<string, TextClassifier>();

function* trainedOnce(
  docs: readonly TrainingDoc[],
  classes: number,
): Generator<void, TextClassifier> {
  const hash = createHash("sha256").update(String(classes));
  for (const doc of docs)
    hash.update(
      `\u0000${doc.label}\u0000${doc.weight}\u0000${doc.learned ?? false}\u0000${doc.text}`,
    );
  const key = hash.digest("base64");
  let classifier = trained.get(key);
  if (classifier === undefined) {
    classifier = yield* TextClassifier.training(docs, classes);
    if (trained.size >= TRAINED_LIMIT) trained.delete(trained.keys().next().value!);
    trained.set(key, classifier);
  }
  return classifier;
}
