import type { CategoryConfig } from "../config/schema.js";
import type { RoutingTrace } from "../core/task.js";
import type { CategoryModel, ModelPrediction } from "./category-model.js";
import { describeLearned } from "./learned.js";
import {
  describeHits,
  type Hits,
  RULE_KINDS,
  RULE_NOUN,
  RULE_SCORE,
  type RuleKind,
} from "./rules.js";

/**
 * What the router decides from the rules that fired and the classifier's confidences, and how it
 * says why: the routing trace stored on the task.
 */

/** Confidences closer than this are a tie: the router escalates rather than flips a coin. */
const TIE_EPSILON = 0.005;
/** Words listed for a classifier decision. */
const MAX_SHARED_TERMS = 5;
/** A learned example this close to the request is named as what decided. */
const NAMED_EXAMPLE_SIMILARITY = 0.3;
/**
 * A person's decision decides a request this close to it (the same request reworded): the lowest
 * features' cosine at which, on the learning protocol over the corpus's folds and dev, the
 * decisions about one half route the other half's requests right at least as often as the
 * classifier does where it routes (`npx tsx bench/decision-similarity.ts`, docs/performance.md).
 * Below it, a business's distinct requests sharing its names ("book the car for the farmers
 * market" and "mileage claim for the farmers market", 0.54) follow a decision about the other.
 */
const DECISION_SIMILARITY = 0.7;
/**
 * The classifier's confidence in its choice is its probability less this share of the runner-up's:
 * a close runner-up means the request sits between two categories. On the corpus's held-out folds
 * it tells right from wrong better than the probability alone (docs/performance.md).
 */
const RUNNER_UP_DISCOUNT = 0.5;

export interface DecisionContext {
  candidates: readonly CategoryConfig[];
  catchAll: CategoryConfig;
  /** The classifier's confidence per candidate, in config order. */
  scores: Float64Array;
  prediction: ModelPrediction;
  model: CategoryModel;
}

interface Ranked {
  category: number;
  score: number;
}

/** Candidates by confidence, best first; equal scores keep config order so routing is stable. */
function rankByConfidence(context: DecisionContext, among?: readonly number[]): Ranked[] {
  const ranked: Ranked[] = [];
  const { scores } = context;
  if (among === undefined)
    for (let category = 0; category < scores.length; category++)
      ranked.push({ category, score: scores[category]! });
  else for (const category of among) ranked.push({ category, score: scores[category]! });
  return ranked.sort(byConfidence);
}

function byConfidence(a: Ranked, b: Ranked): number {
  return b.score - a.score || a.category - b.category;
}

/** The first of rankBySimilarity's order that is not `except` and scored at all, in one pass. */
function mostSimilarOther(context: DecisionContext, except: number): Ranked | undefined {
  let best: Ranked | undefined;
  const { scores } = context;
  for (let category = 0; category < scores.length; category++) {
    const score = scores[category]!;
    if (category === except || !(score > 0)) continue;
    if (best === undefined || score > best.score) best = { category, score };
  }
  return best;
}

function nameOf(context: DecisionContext, category: number): string {
  return context.candidates[category]!.name;
}

/** Step 3: the strongest kind of rule that fired decides; more distinct hits win within it. */
export function decideByRules(hits: Hits, context: DecisionContext): RoutingTrace | undefined {
  for (const kind of RULE_KINDS) {
    const byCategory = hits[kind];
    if (byCategory.size === 0) continue;
    let most = 0;
    for (const matched of byCategory.values()) most = Math.max(most, matched.length);
    const leaders: number[] = [];
    for (const [category, matched] of byCategory)
      if (matched.length === most) leaders.push(category);
    // Equal hits: the classifier's favourite wins, unless it cannot tell them apart either.
    const ranked = rankByConfidence(context, leaders);
    const [first, second] = ranked as [Ranked, Ranked | undefined];
    if (second !== undefined && first.score - second.score < TIE_EPSILON) {
      return unbreakableTie(kind, most, [first, second], context);
    }
    return ruleDecision(kind, first.category, byCategory, second, context);
  }
  return undefined;
}

function ruleDecision(
  kind: RuleKind,
  winner: number,
  byCategory: ReadonlyMap<number, string[]>,
  tiedWith: Ranked | undefined,
  context: DecisionContext,
): RoutingTrace {
  const name = nameOf(context, winner);
  const matched = byCategory.get(winner)!;
  const rule = kind === "regexes" ? `regexes[${firstRegexIndex(context, winner, matched)}]` : kind;
  const runnerUp = ruleRunnerUp(winner, byCategory, context);
  // A tie names its rival, who is then the runner-up: saying it twice would only add noise.
  const explained =
    tiedWith === undefined
      ? describeRunnerUp(runnerUp)
      : `, tied on ${plural(matched.length, "hit")} with ${nameOf(context, tiedWith.category)}` +
        ` (runner-up) and broken by the classifier ${format(context.scores[winner]!)}` +
        ` vs ${format(tiedWith.score)}`;
  return {
    category: name,
    classifier: "rules",
    rule: `${name}.${rule}`,
    score: RULE_SCORE[kind],
    matched,
    ...(runnerUp && { runner_up: runnerUp }),
    explanation: `${describeHits(kind, matched)} matched ${name}'s rules${explained}`,
  };
}

function firstRegexIndex(context: DecisionContext, category: number, matched: string[]): number {
  return context.candidates[category]!.match.regexes.findIndex((pattern) =>
    matched.includes(pattern),
  );
}

/**
 * The runner-up of a rule decision: another category caught by the same kind of rule if any (most
 * hits, then confidence), otherwise the classifier's next choice. Its score is its confidence.
 */
function ruleRunnerUp(
  winner: number,
  byCategory: ReadonlyMap<number, string[]>,
  context: DecisionContext,
): RoutingTrace["runner_up"] {
  const rivals = [...byCategory.keys()].filter((category) => category !== winner);
  const best =
    rivals.length > 0
      ? rankByConfidence(context, rivals).sort(
          (a, b) => byCategory.get(b.category)!.length - byCategory.get(a.category)!.length,
        )[0]
      : mostSimilarOther(context, winner);
  return best && { category: nameOf(context, best.category), score: round(best.score) };
}

function unbreakableTie(
  kind: RuleKind,
  hits: number,
  [first, second]: readonly [Ranked, Ranked],
  context: DecisionContext,
): RoutingTrace {
  // Named in config order: which of two equal scores came out a hair ahead says nothing.
  const [one, other] = [first.category, second.category].sort((a, b) => a - b) as [number, number];
  const names = `${nameOf(context, one)} and ${nameOf(context, other)}`;
  return {
    category: context.catchAll.name,
    classifier: "rules",
    rule: "catch_all",
    // Not confident of anything: the request fits two categories equally well.
    score: 0,
    matched: [],
    runner_up: { category: nameOf(context, first.category), score: round(first.score) },
    explanation:
      `unbreakable tie between ${names}: both matched ${plural(hits, RULE_NOUN[kind])}` +
      ` and the classifier cannot tell them apart (${format(first.score)} vs ${format(second.score)})`,
  };
}

/** The classifier's confidence in `best` over `second` (see `RUNNER_UP_DISCOUNT`). */
function confidenceOf(best: number, second: number): number {
  return best - RUNNER_UP_DISCOUNT * second;
}

/** Step 4: the classifier's choice, if it is confident enough and clearly ahead. */
export function decideByClassifier(context: DecisionContext, minConfidence: number): RoutingTrace {
  const [best, second] = rankByConfidence(context);
  const { nowhere } = context.prediction;
  const confidence = best === undefined ? 0 : confidenceOf(best.score, second?.score ?? 0);
  if (best !== undefined && confidence >= minConfidence && nowhere > best.score) {
    const runnerUp = asRunnerUp(context, best);
    return {
      ...doesNotFit(context, runnerUp, minConfidence),
      score: round(nowhere),
      explanation:
        `does not fit any category (reads like the catch-all's examples, ${format(nowhere)})` +
        describeRunnerUp(runnerUp),
    };
  }
  if (best === undefined || confidence < minConfidence) {
    return doesNotFit(context, asRunnerUp(context, best), minConfidence, confidence);
  }
  if (second !== undefined && best.score - second.score < TIE_EPSILON) {
    return {
      ...doesNotFit(context, asRunnerUp(context, best), minConfidence),
      // Not confident of anything: the request fits two categories equally well.
      score: 0,
      explanation:
        `does not fit any category (tie: ${nameOf(context, best.category)} ${format(best.score)}` +
        ` vs ${nameOf(context, second.category)} ${format(second.score)})`,
    };
  }
  const name = nameOf(context, best.category);
  const words = context.model.telling(context.prediction, best.category, MAX_SHARED_TERMS);
  const runnerUp = asRunnerUp(context, second);
  const learned = context.model.closestLearned(
    context.prediction,
    best.category,
    NAMED_EXAMPLE_SIMILARITY,
  );
  const named = learned !== undefined;
  const because = named
    ? `; closest to ${describeLearned(learned.example)}`
    : words.length > 0
      ? `; telling words: ${words.join(", ")}`
      : "";
  return {
    category: name,
    classifier: "rules",
    rule: named ? "learned" : "classifier",
    score: round(confidence),
    matched: words,
    ...(runnerUp && { runner_up: runnerUp }),
    ...(named && {
      example: {
        id: learned.example.id,
        taskId: learned.example.taskId,
        similarity: round(learned.similarity),
      },
    }),
    explanation:
      `the classifier chose ${name} (confidence ${format(confidence)} ≥ ${minConfidence}${because})` +
      describeRunnerUp(runnerUp),
  };
}

/**
 * Step 2: a person's earlier decision about a request very like this one. It comes before the
 * rules: a rule that sent the request wrong would otherwise send it wrong again.
 */
export function decideByLearned(context: DecisionContext): RoutingTrace | undefined {
  const closest = context.model.closestDecision(context.prediction, DECISION_SIMILARITY);
  if (closest === undefined) return undefined;
  const name = nameOf(context, closest.category);
  const { example, similarity } = closest;
  return {
    category: name,
    classifier: "rules",
    rule: "learned",
    score: round(similarity),
    matched: [],
    example: { id: example.id, taskId: example.taskId, similarity: round(similarity) },
    explanation:
      `a person's decision about a request this like it (similarity ${format(similarity)})` +
      ` chose ${name}: closest to ${describeLearned(example)}`,
  };
}

export function nothingToRouteBy(context: DecisionContext, minConfidence: number): RoutingTrace {
  return {
    ...doesNotFit(context, undefined, minConfidence),
    score: 1,
    explanation: "does not fit any category (no words to route by beyond greetings and filler)",
  };
}

/** A category that scored nothing is no runner-up. */
function asRunnerUp(
  context: DecisionContext,
  ranked: Ranked | undefined,
): RoutingTrace["runner_up"] {
  return ranked !== undefined && ranked.score > 0
    ? { category: nameOf(context, ranked.category), score: round(ranked.score) }
    : undefined;
}

/** `confidence`: the classifier's in `best`, when that is what fell short of the threshold. */
function doesNotFit(
  context: DecisionContext,
  best: RoutingTrace["runner_up"],
  minConfidence: number,
  confidence?: number,
): RoutingTrace {
  const shown =
    best === undefined
      ? "none"
      : confidence === undefined || confidence === best.score
        ? `${best.category} ${format(best.score)} < ${minConfidence}`
        : // The runner-up line shows the probability: say how the two numbers differ.
          `${best.category} ${format(confidence)} < ${minConfidence}: its probability ` +
          `${format(best.score)} less half the next one's`;
  return {
    category: context.catchAll.name,
    classifier: "rules",
    rule: "catch_all",
    // How clearly nothing fits: 1 when no category shares a word with the request.
    score: round(1 - (best?.score ?? 0)),
    matched: [],
    ...(best && { runner_up: best }),
    explanation: `does not fit any category (best: ${shown})`,
  };
}

// ── Wording ──────────────────────────────────────────────────────────────────

function describeRunnerUp(runnerUp: RoutingTrace["runner_up"]): string {
  return runnerUp === undefined
    ? ""
    : ` (runner-up: ${runnerUp.category}, probability ${format(runnerUp.score)})`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function format(score: number): string {
  return score.toFixed(2);
}

export function round(score: number): number {
  return Math.round(score * 1000) / 1000;
}
