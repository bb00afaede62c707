import type { LabelledRequest } from "../config/labelled.js";
import type { CategoryConfig } from "../config/schema.js";
import { StewardError } from "../core/errors.js";
import type { RoutingTrace } from "../core/task.js";
import { CategoryModel } from "./category-model.js";
import {
  type DecisionContext,
  decideByClassifier,
  decideByLearned,
  decideByRules,
  nothingToRouteBy,
  round,
} from "./decide.js";
import { routedPart } from "./features.js";
import type { LearnedExample } from "./learned.js";
import { collectHits, compileRules, indexKeywords } from "./rules.js";
import { terms } from "./tokenize.js";

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
  /**
   * A person's decision to learn from, used from the next request on: at once for requests very
   * like it, and by the classifier once it has retrained (in the background; see `settled`).
   * False when it teaches nothing new (an example learned already, a category gone).
   */
  learn(example: LearnedExample): boolean;
  /** Unlearns a decision (a mistaken one); false if it was not known. */
  forget(id: number): boolean;
  /** Unlearns the confirmation of the task `taskId`; false if it was not known. */
  unconfirm(taskId: number): boolean;
  /** The ids of the decisions it has learned (and not forgotten). */
  learnedDecisions(): number[];
  /** Trains the classifier now rather than on the first request (a server, before its doors open). */
  warm(): void;
  /** Resolves once every decision learned so far is part of the classifier. */
  settled(): Promise<void>;
  /** The classifier's probability per candidate category, in config order (the catch-all aside). */
  confidences(text: string): { category: string; confidence: number }[];
}

export interface RouterOptions {
  /** Below this classifier confidence a request fits nowhere and goes to the catch-all. */
  minConfidence: number;
  /** Decisions people made earlier, learned from at start-up. */
  learned?: readonly LearnedExample[];
  /** Labelled requests to train on beside the categories' examples (`intake.classifier.corpus`). */
  corpus?: readonly LabelledRequest[] | undefined;
  /** Least time between retrainings confirmations alone ask for (ten minutes; benches, tests). */
  confirmationPaceMs?: number;
}

export function createCategoryRouter(
  categories: readonly CategoryConfig[],
  options: RouterOptions,
): Router {
  const catchAll = findCatchAll(categories);
  const candidates = categories.filter((category) => !category.catch_all);
  const rules = candidates.map(compileRules);
  const keywordIndex = indexKeywords(rules);
  const model = new CategoryModel(
    candidates,
    catchAll,
    options.learned ?? [],
    options.corpus,
    options.confirmationPaceMs,
  );
  const byName = new Map(categories.map((category) => [category.name, category]));

  function route(request: RouteRequest): RoutingDecision {
    if (request.category !== undefined) return explicit(request.category, byName);
    const named = namedInText(request.text, byName);
    if (named !== undefined)
      return explicitDecision(named, `the request names category "${named}" in its text`);
    // Keywords and the classifier read the opening of a long paste, not all of it: a keyword deep
    // in a forwarded thread is as likely to misfire as to help, and it keeps routing cheap.
    const routed = routedPart(request.text);
    const written = terms(routed);
    const tokens = written.map((term) => term.stem);
    const prediction = model.predict(routed, written, tokens);
    const context: DecisionContext = {
      candidates,
      catchAll,
      scores: prediction.probabilities,
      prediction,
      model,
    };
    const byLearned = decideByLearned(context);
    if (byLearned !== undefined) return byLearned;
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
    unconfirm: (taskId) => model.unconfirm(taskId),
    learnedDecisions: () => model.learnedDecisions(),
    warm: () => model.warm(),
    settled: () => model.settled(),
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
