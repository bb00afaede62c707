import type { LabelledRequest } from "../config/labelled.js";
import type { CategoryConfig } from "../config/schema.js";
import { StewardError } from "../core/errors.js";
import { configuredPattern, type Pattern } from "../core/pattern.js";
import type { RoutingTrace } from "../core/task.js";
import { CategoryModel, type ModelPrediction } from "./category-model.js";
import { routedPart } from "./features.js";
import type { LearnedExample } from "./learned.js";
import { describeLearned } from "./learned.js";
import { tokenize } from "./tokenize.js";

export interface RouteRequest {
  text: string;
  /** Where the request came from: `discord`, `cli`, `webhook:helpdesk`, `schedule:weekly`… */
  source: string;
  /** Named explicitly by the requester. */
  category?: string;
}

/** What the router decided and why; stored on the task as its routing trace. */
export type RoutingDecision = RoutingTrace;

export interface Router {
  route(request: RouteRequest): RoutingDecision;
  categories: readonly CategoryConfig[];
  /** A person's decision to learn from: used from the next request on. */
  learn(example: LearnedExample): void;
  /** Unlearns an example (a mistaken decision); false if it was not known. */
  forget(id: number): boolean;
  /** The classifier's probability per candidate category, in config order (the catch-all aside). */
  confidences(text: string): { category: string; confidence: number }[];
}

export interface RouterOptions {
  /** Below this classifier confidence a request fits nowhere and goes to the catch-all. */
  minConfidence: number;
  /** Decisions people made earlier, learned from at start-up. */
  learned?: readonly LearnedExample[];
  /** Labelled requests to train on beside the categories' examples (`intake.classifier.corpus`). */
  corpus?: readonly LabelledRequest[];
}

/** Confidences closer than this are a tie: the router escalates rather than flips a coin. */
const TIE_EPSILON = 0.005;
/** Words listed for a classifier decision. */
const MAX_SHARED_TERMS = 5;
/** A learned example this close to the request is named as what decided. */
const NAMED_EXAMPLE_SIMILARITY = 0.3;

/** Explicit rule kinds, strongest first: a source is set by the door, a regex is precise. */
const RULE_KINDS = ["sources", "regexes", "keywords"] as const;
type RuleKind = (typeof RULE_KINDS)[number];

/** Confidence of a decision by an explicit rule, by kind. */
const RULE_SCORE: Record<RuleKind, number> = { sources: 1, regexes: 0.9, keywords: 0.8 };

export function createCategoryRouter(
  categories: readonly CategoryConfig[],
  options: RouterOptions,
): Router {
  const catchAll = findCatchAll(categories);
  const candidates = categories.filter((category) => !category.catch_all);
  const rules = candidates.map(compileRules);
  const keywordIndex = indexKeywords(rules);
  const model = new CategoryModel(candidates, catchAll, options.learned ?? [], options.corpus);
  const byName = new Map(categories.map((category) => [category.name, category]));

  function route(request: RouteRequest): RoutingDecision {
    if (request.category !== undefined) return explicit(request.category, byName);
    const named = namedInText(request.text, byName);
    if (named !== undefined)
      return explicitDecision(named, `the request names category "${named}" in its text`);
    // Keywords and the classifier read the opening of a long paste, not all of it: a keyword deep
    // in a forwarded thread is as likely to misfire as to help, and it keeps routing cheap.
    const routed = routedPart(request.text);
    const tokens = tokenize(routed);
    const prediction = model.predict(routed, tokens);
    const context: DecisionContext = {
      candidates,
      catchAll,
      scores: prediction.probabilities,
      prediction,
      model,
    };
    const hits = collectHits(request, tokens, rules, keywordIndex);
    const byRules = decideByRules(hits, context);
    if (byRules !== undefined) return byRules;
    // "thanks!!", "hey 🙂", "ok": no word beyond greetings and filler, so nothing to route by
    // (letter n-grams of "thanks" would otherwise still lean somewhere).
    if (tokens.length === 0) return nothingToRouteBy(context, options.minConfidence);
    return decideByClassifier(context, options.minConfidence);
  }

  function confidences(text: string) {
    const { probabilities } = model.predict(text);
    return candidates.map((category, index) => ({
      category: category.name,
      confidence: round(probabilities[index]!),
    }));
  }

  return {
    route,
    categories,
    learn: (example) => model.learn(example),
    forget: (id) => model.forget(id),
    confidences,
  };
}

function findCatchAll(categories: readonly CategoryConfig[]): CategoryConfig {
  const found = categories.filter((category) => category.catch_all);
  const [catchAll] = found;
  if (found.length !== 1 || catchAll === undefined) {
    throw new StewardError(
      "config_invalid",
      `expected exactly one category with catch_all: true, found ${found.length}`,
    );
  }
  return catchAll;
}

function explicit(name: string, byName: ReadonlyMap<string, CategoryConfig>): RoutingDecision {
  if (!byName.has(name)) {
    throw new StewardError(
      "unknown_category",
      `no category named "${name}" (known: ${[...byName.keys()].join(", ")})`,
    );
  }
  return explicitDecision(name, `category "${name}" was named explicitly by the requester`);
}

/**
 * A category named in the text itself: a `Category: content` line, or a request that opens with
 * `content:` / `for content:`. Only configured names count, so "Note: …" is just text.
 */
const NAMED_LINE = /^[ \t>*_-]*(?:category\s*[:=]\s*["'`*_]*([\w-]+)|(?:for\s+)?([\w-]+)\s*:)/gim;

function namedInText(
  text: string,
  byName: ReadonlyMap<string, CategoryConfig>,
): string | undefined {
  for (const match of text.matchAll(NAMED_LINE)) {
    const labelled = match[1]?.toLowerCase();
    if (labelled !== undefined && byName.has(labelled)) return labelled;
    const opening = match[2]?.toLowerCase();
    // A bare `name:` counts only where the request starts, not on any line of a pasted email.
    if (opening !== undefined && match.index === 0 && byName.has(opening)) return opening;
  }
  return undefined;
}

function explicitDecision(name: string, explanation: string): RoutingDecision {
  return {
    category: name,
    classifier: "rules",
    rule: "explicit",
    score: 1,
    matched: [name],
    explanation,
  };
}

// ── Explicit rules ───────────────────────────────────────────────────────────

interface CompiledRules {
  sources: { pattern: string; matches: (source: string) => boolean }[];
  regexes: { pattern: string; regex: Pattern; index: number }[];
  keywords: { text: string; tokens: string[] }[];
}

interface KeywordEntry {
  category: number;
  text: string;
  tokens: string[];
}

function compileRules(category: CategoryConfig): CompiledRules {
  return {
    sources: category.match.sources.map((pattern) => ({
      pattern,
      matches: sourceMatcher(pattern),
    })),
    regexes: category.match.regexes.map((pattern, index) => ({
      pattern,
      regex: configuredPattern(pattern),
      index,
    })),
    // A keyword made only of stop words ("about") can never match, so it is dropped.
    keywords: category.match.keywords
      .map((text) => ({ text, tokens: tokenize(text) }))
      .filter((keyword) => keyword.tokens.length > 0),
  };
}

/** Exact source names, plus a trailing `*` glob (`webhook:*`). */
function sourceMatcher(pattern: string): (source: string) => boolean {
  if (!pattern.endsWith("*")) return (source) => source === pattern;
  const prefix = pattern.slice(0, -1);
  return (source) => source.startsWith(prefix);
}

/** Keywords by their first token, so matching costs one lookup per request token. */
function indexKeywords(rules: readonly CompiledRules[]): Map<string, KeywordEntry[]> {
  const index = new Map<string, KeywordEntry[]>();
  rules.forEach((compiled, category) => {
    for (const keyword of compiled.keywords) {
      const first = keyword.tokens[0]!;
      const entries = index.get(first) ?? [];
      entries.push({ category, ...keyword });
      index.set(first, entries);
    }
  });
  return index;
}

/** Per rule kind, the categories it caught (by candidate index) and what matched in each. */
type Hits = Record<RuleKind, Map<number, string[]>>;

/** Every category's hits, grouped by rule kind. Loops, not callbacks: it runs per request. */
function collectHits(
  request: RouteRequest,
  tokens: readonly string[],
  rules: readonly CompiledRules[],
  keywordIndex: ReadonlyMap<string, KeywordEntry[]>,
): Hits {
  const hits: Hits = { sources: new Map(), regexes: new Map(), keywords: new Map() };
  for (let category = 0; category < rules.length; category++) {
    const compiled = rules[category]!;
    for (const rule of compiled.sources)
      if (rule.matches(request.source)) addHit(hits.sources, category, rule.pattern);
    for (const rule of compiled.regexes)
      if (rule.regex.test(request.text)) addHit(hits.regexes, category, rule.pattern);
  }
  for (let at = 0; at < tokens.length; at++) {
    const entries = keywordIndex.get(tokens[at]!);
    if (entries === undefined) continue;
    for (const entry of entries) {
      // A keyword met twice in the text is one hit.
      if (!startsAt(tokens, at, entry.tokens)) continue;
      if (!hits.keywords.get(entry.category)?.includes(entry.text))
        addHit(hits.keywords, entry.category, entry.text);
    }
  }
  return hits;
}

function addHit(byCategory: Map<number, string[]>, category: number, matched: string): void {
  const found = byCategory.get(category);
  if (found === undefined) byCategory.set(category, [matched]);
  else found.push(matched);
}

/** Whether `tokens` has the keyword's tokens in sequence from `at`. */
function startsAt(tokens: readonly string[], at: number, expected: readonly string[]): boolean {
  for (let offset = 0; offset < expected.length; offset++)
    if (tokens[at + offset] !== expected[offset]) return false;
  return true;
}

// ── Decisions ────────────────────────────────────────────────────────────────

interface DecisionContext {
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

/** Step 2: the strongest kind of rule that fired decides; more distinct hits win within it. */
function decideByRules(hits: Hits, context: DecisionContext): RoutingDecision | undefined {
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
): RoutingDecision {
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
): RoutingDecision["runner_up"] {
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
): RoutingDecision {
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

/** Step 3: the classifier's choice, if it is confident enough and clearly ahead. */
function decideByClassifier(context: DecisionContext, minConfidence: number): RoutingDecision {
  const [best, second] = rankByConfidence(context);
  const { nowhere } = context.prediction;
  if (best !== undefined && best.score >= minConfidence && nowhere > best.score) {
    const runnerUp = asRunnerUp(context, best);
    return {
      ...doesNotFit(context, runnerUp, minConfidence),
      score: round(nowhere),
      explanation:
        `does not fit any category (reads like the catch-all's examples, ${format(nowhere)})` +
        describeRunnerUp(runnerUp),
    };
  }
  if (best === undefined || best.score < minConfidence) {
    return doesNotFit(context, asRunnerUp(context, best), minConfidence);
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
    score: round(best.score),
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
      `the classifier chose ${name} (confidence ${format(best.score)} ≥ ${minConfidence}${because})` +
      describeRunnerUp(runnerUp),
  };
}

function nothingToRouteBy(context: DecisionContext, minConfidence: number): RoutingDecision {
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
): RoutingDecision["runner_up"] {
  return ranked !== undefined && ranked.score > 0
    ? { category: nameOf(context, ranked.category), score: round(ranked.score) }
    : undefined;
}

function doesNotFit(
  context: DecisionContext,
  best: RoutingDecision["runner_up"],
  minConfidence: number,
): RoutingDecision {
  const shown = best === undefined ? "none" : `${best.category} ${format(best.score)}`;
  return {
    category: context.catchAll.name,
    classifier: "rules",
    rule: "catch_all",
    // How clearly nothing fits: 1 when no category shares a word with the request.
    score: round(1 - (best?.score ?? 0)),
    matched: [],
    ...(best && { runner_up: best }),
    explanation: `does not fit any category (best: ${shown} < ${minConfidence})`,
  };
}

// ── Wording ──────────────────────────────────────────────────────────────────

const RULE_NOUN: Record<RuleKind, string> = {
  sources: "source rule",
  regexes: "pattern",
  keywords: "keyword",
};

function describeHits(kind: RuleKind, matched: readonly string[]): string {
  const shown =
    kind === "regexes"
      ? matched.map((pattern) => `/${pattern}/`)
      : matched.map((text) => JSON.stringify(text));
  const noun = matched.length === 1 ? RULE_NOUN[kind] : `${RULE_NOUN[kind]}s`;
  return `${noun} ${shown.join(", ")}`;
}

function describeRunnerUp(runnerUp: RoutingDecision["runner_up"]): string {
  return runnerUp === undefined
    ? ""
    : ` (runner-up: ${runnerUp.category}, confidence ${format(runnerUp.score)})`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function format(score: number): string {
  return score.toFixed(2);
}

function round(score: number): number {
  return Math.round(score * 1000) / 1000;
}
