import type { CategoryConfig } from "../config/schema.js";
import { StewardError } from "../core/errors.js";
import { configuredPattern, type Pattern } from "../core/pattern.js";
import type { RoutingTrace } from "../core/task.js";
import { terms, tokenize } from "./tokenize.js";

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
}

export interface RouterOptions {
  /** Below this similarity a request fits nowhere and goes to the catch-all. */
  minConfidence: number;
}

/** Similarities closer than this are a tie: the router escalates rather than flips a coin. */
const TIE_EPSILON = 0.005;
/** Shared terms listed for a similarity decision. */
const MAX_SHARED_TERMS = 5;

/** Explicit rule kinds, strongest first: a source is set by the door, a regex is precise. */
const RULE_KINDS = ["sources", "regexes", "keywords"] as const;
type RuleKind = (typeof RULE_KINDS)[number];

/** Confidence of a decision by an explicit rule, by kind. */
const RULE_SCORE: Record<RuleKind, number> = { sources: 1, regexes: 0.9, keywords: 0.8 };

/*
 * Similarity: BM25 term weights normalised by the request's own ideal score, i.e. the share of the
 * request's IDF mass that a category's text (description + examples + keywords) covers. IDF over
 * the categories makes words every category uses count little; a word no category uses weighs
 * like the rarest known word, so off-topic words dilute the score instead of being ignored
 * ("write a haiku about autumn leaves" is not a confident content request).
 *
 * Why not TF-IDF cosine: on the routing tables both rank the right category first equally often,
 * but cosine divides by the category's length. A request is a handful of words and a category a
 * few dozen, so fitting requests scored 0.05–0.3 and the usable threshold was about 0.04, and
 * every example added to a category lowered all its scores. Coverage answers the question routing
 * asks, "how much of this request does the category explain?": fitting requests score 0.2–0.8,
 * off-topic ones near 0, and min_confidence (0.2) reads as "a fifth of what was asked".
 */
const BM25_K1 = 0.5; // low: one mention already counts 2/3, repeats add a little
const BM25_B = 0.75; // long category texts do not win by sheer mentions

export function createRouter(
  categories: readonly CategoryConfig[],
  options: RouterOptions,
): Router {
  const catchAll = findCatchAll(categories);
  const candidates = categories.filter((category) => !category.catch_all);
  const rules = candidates.map(compileRules);
  const keywordIndex = indexKeywords(rules);
  const similarity = buildSimilarity(candidates);
  const byName = new Map(categories.map((category) => [category.name, category]));

  function route(request: RouteRequest): RoutingDecision {
    if (request.category !== undefined) return explicit(request.category, byName);
    const tokens = tokenize(request.text);
    const scores = similarity.score(tokens);
    const context: DecisionContext = { candidates, catchAll, scores, tokens, similarity };
    const hits = collectHits(request, tokens, rules, keywordIndex);
    return decideByRules(hits, context) ?? decideBySimilarity(context, options.minConfidence);
  }

  return { route, categories };
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
  return {
    category: name,
    classifier: "rules",
    rule: "explicit",
    score: 1,
    matched: [name],
    explanation: `category "${name}" was named explicitly by the requester`,
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

// ── Similarity ───────────────────────────────────────────────────────────────

interface Similarity {
  /** Per candidate category, in config order. */
  score(tokens: readonly string[]): Float64Array;
  /** The request's terms the category knows, most telling first, as words rather than stems. */
  shared(tokens: readonly string[], category: number): string[];
}

function buildSimilarity(categories: readonly CategoryConfig[]): Similarity {
  const documents = categories.map((category) =>
    terms([category.description, ...category.examples, ...category.match.keywords].join("\n")),
  );
  const count = documents.length;
  const averageLength = documents.reduce((sum, doc) => sum + doc.length, 0) / Math.max(count, 1);
  const frequencies = documents.map(countStems);
  const documentFrequency = new Map<string, number>();
  for (const frequency of frequencies) {
    for (const stem of frequency.keys()) {
      documentFrequency.set(stem, (documentFrequency.get(stem) ?? 0) + 1);
    }
  }
  const idf = (df: number) => Math.log(1 + (count - df + 0.5) / (df + 0.5));
  // A word no category uses weighs like the rarest word some category uses.
  const unknownIdf = idf(1);
  const idfOf = new Map([...documentFrequency].map(([stem, df]) => [stem, idf(df)]));

  // weights.get(stem)[category]: idf × saturated term frequency, normalised to 0..1 per term.
  const weights = new Map<string, number[]>();
  frequencies.forEach((frequency, category) => {
    const lengthRatio = documents[category]!.length / averageLength;
    const norm = BM25_K1 * (1 - BM25_B + BM25_B * lengthRatio);
    for (const [stem, tf] of frequency) {
      const row = weights.get(stem) ?? new Array<number>(count).fill(0);
      row[category] = (idfOf.get(stem)! * tf) / (tf + norm);
      weights.set(stem, row);
    }
  });
  const surface = surfaceWords(documents);

  function score(tokens: readonly string[]): Float64Array {
    // Doubles from the start: a plain array begins as small integers and changes its kind
    // as fractions arrive, which code optimised for the first kind does not expect.
    const totals = new Float64Array(count);
    let ideal = 0;
    for (const stem of new Set(tokens)) {
      ideal += idfOf.get(stem) ?? unknownIdf;
      const row = weights.get(stem);
      if (row === undefined) continue;
      for (let category = 0; category < count; category++) totals[category]! += row[category]!;
    }
    for (let category = 0; category < count; category++)
      totals[category] = ideal === 0 ? 0 : Math.min(1, totals[category]! / ideal);
    return totals;
  }

  function shared(tokens: readonly string[], category: number): string[] {
    return [...new Set(tokens)]
      .map((stem) => ({ stem, weight: weights.get(stem)?.[category] ?? 0 }))
      .filter((term) => term.weight > 0)
      .sort((a, b) => b.weight - a.weight)
      .slice(0, MAX_SHARED_TERMS)
      .map((term) => surface.get(term.stem) ?? term.stem);
  }

  return { score, shared };
}

function countStems(document: readonly { stem: string }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { stem } of document) counts.set(stem, (counts.get(stem) ?? 0) + 1);
  return counts;
}

/** The first word each stem came from in the categories' text ("announc" → "announcing"). */
function surfaceWords(documents: readonly { word: string; stem: string }[][]): Map<string, string> {
  const surface = new Map<string, string>();
  for (const document of documents) {
    for (const { word, stem } of document) if (!surface.has(stem)) surface.set(stem, word);
  }
  return surface;
}

// ── Decisions ────────────────────────────────────────────────────────────────

interface DecisionContext {
  candidates: readonly CategoryConfig[];
  catchAll: CategoryConfig;
  /** Similarity per candidate, in config order. */
  scores: Float64Array;
  tokens: readonly string[];
  similarity: Similarity;
}

interface Ranked {
  category: number;
  score: number;
}

/** Candidates by similarity, best first; equal scores keep config order so routing is stable. */
function rankBySimilarity(context: DecisionContext, among?: readonly number[]): Ranked[] {
  const ranked: Ranked[] = [];
  const { scores } = context;
  if (among === undefined)
    for (let category = 0; category < scores.length; category++)
      ranked.push({ category, score: scores[category]! });
  else for (const category of among) ranked.push({ category, score: scores[category]! });
  return ranked.sort(bySimilarity);
}

function bySimilarity(a: Ranked, b: Ranked): number {
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
    // Equal hits: the more similar category wins, unless the similarity is a tie as well.
    const ranked = rankBySimilarity(context, leaders);
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
        ` (runner-up) and broken by similarity ${format(context.scores[winner]!)}` +
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
 * hits, then similarity), otherwise the most similar other category. Its score is its similarity.
 */
function ruleRunnerUp(
  winner: number,
  byCategory: ReadonlyMap<number, string[]>,
  context: DecisionContext,
): RoutingDecision["runner_up"] {
  const rivals = [...byCategory.keys()].filter((category) => category !== winner);
  const best =
    rivals.length > 0
      ? rankBySimilarity(context, rivals).sort(
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
  const names = `${nameOf(context, first.category)} and ${nameOf(context, second.category)}`;
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
      ` and are equally similar (${format(first.score)} vs ${format(second.score)})`,
  };
}

/** Step 3: the most similar category, if it is similar enough and clearly ahead. */
function decideBySimilarity(context: DecisionContext, minConfidence: number): RoutingDecision {
  const [best, second] = rankBySimilarity(context);
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
  const shared = context.similarity.shared(context.tokens, best.category);
  const runnerUp = asRunnerUp(context, second);
  return {
    category: name,
    classifier: "rules",
    rule: "similarity",
    score: round(best.score),
    matched: shared,
    ...(runnerUp && { runner_up: runnerUp }),
    explanation:
      `most similar to ${name} (${format(best.score)} ≥ ${minConfidence};` +
      ` shared: ${shared.join(", ")})${describeRunnerUp(runnerUp)}`,
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
    : ` (runner-up: ${runnerUp.category}, similarity ${format(runnerUp.score)})`;
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
