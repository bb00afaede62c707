import type { CategoryConfig } from "../config/schema.js";
import { configuredPattern, type Pattern } from "../core/pattern.js";
import { tokenize } from "./tokenize.js";

/**
 * The explicit rules of the categories (`match`): sources, regexes and keywords, compiled once,
 * and which of them a request sets off. What they decide is in decide.ts.
 */

/** Explicit rule kinds, strongest first: a source is set by the door, a regex is precise. */
export const RULE_KINDS = ["sources", "regexes", "keywords"] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

/** Confidence of a decision by an explicit rule, by kind. */
export const RULE_SCORE: Record<RuleKind, number> = { sources: 1, regexes: 0.9, keywords: 0.8 };

export interface CompiledRules {
  sources: { pattern: string; matches: (source: string) => boolean }[];
  regexes: { pattern: string; regex: Pattern; index: number }[];
  keywords: { text: string; tokens: string[] }[];
}

export interface KeywordEntry {
  category: number;
  text: string;
  tokens: string[];
}

export function compileRules(category: CategoryConfig): CompiledRules {
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
export function indexKeywords(rules: readonly CompiledRules[]): Map<string, KeywordEntry[]> {
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
export type Hits = Record<RuleKind, Map<number, string[]>>;

/** Every category's hits, grouped by rule kind. Loops, not callbacks: it runs per request. */
export function collectHits(
  request: { readonly text: string; readonly source: string },
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

export const RULE_NOUN: Record<RuleKind, string> = {
  sources: "source rule",
  regexes: "pattern",
  keywords: "keyword",
};

export function describeHits(kind: RuleKind, matched: readonly string[]): string {
  const shown =
    kind === "regexes"
      ? matched.map((pattern) => `/${pattern}/`)
      : matched.map((text) => JSON.stringify(text));
  const noun = matched.length === 1 ? RULE_NOUN[kind] : `${RULE_NOUN[kind]}s`;
  return `${noun} ${shown.join(", ")}`;
}
