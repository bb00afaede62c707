import { formatDuration } from "../config/duration.js";
import type { CategoryConfig, Config, WorkerConfig } from "../config/schema.js";
import { terms, tokenize } from "../routing/tokenize.js";
import type { AnomalyRuleRow, CatchAllVolume, RepeatedFailureRow, ReroutePair } from "./port.js";

/**
 * Concrete changes to the config, derived from a month of evidence. Every suggestion carries
 * the numbers and the tasks that justify it, so the owner can check before editing anything.
 */

export type SuggestionKind =
  | "new_category"
  | "category_keywords"
  | "fix_routing"
  | "loosen_stall"
  | "worker_instructions";

export interface Evidence {
  /** One sentence with the figures. */
  summary: string;
  figures: Record<string, number>;
  taskIds: number[];
  /** Objectives or errors as written. */
  quotes: string[];
}

export interface Suggestion {
  kind: SuggestionKind;
  title: string;
  /** The change, in config terms. */
  proposal: string;
  evidence: Evidence;
}

export interface Thresholds {
  /** Catch-all tasks sharing terms before a category is proposed. */
  catchAllCluster: number;
  /** Reroutes from one category to another before its rules are called wrong. */
  reroutes: number;
  /** Times a stall rule fired and resolved itself (never with an action) before loosening it. */
  selfResolvedStalls: number;
  /** Identical logic failures of one worker before its instructions are questioned. */
  repeatedFailures: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  catchAllCluster: 3,
  reroutes: 3,
  selfResolvedStalls: 3,
  repeatedFailures: 3,
};

/** The parts of a category the rules read; tests can build them by hand. */
export type CategoryRules = Pick<
  CategoryConfig,
  "name" | "description" | "examples" | "match" | "catch_all"
> & { limits: Pick<CategoryConfig["limits"], "stall"> };

export interface SuggestionContext {
  categories: readonly CategoryRules[];
  workers: Readonly<Record<string, Pick<WorkerConfig, "kind">>>;
  stallFactor: number;
}

export interface SuggestionInput {
  catchAll: CatchAllVolume;
  reroutes: readonly ReroutePair[];
  anomalies: readonly AnomalyRuleRow[];
  repeatedFailures: readonly RepeatedFailureRow[];
}

export function suggestionContext(config: Config): SuggestionContext {
  return {
    categories: config.categories,
    workers: config.workers,
    stallFactor: config.monitor.stall_factor,
  };
}

/** All four rules, strongest evidence first within each. */
export function suggest(
  input: SuggestionInput,
  context: SuggestionContext,
  thresholds: Thresholds = DEFAULT_THRESHOLDS,
): Suggestion[] {
  return [
    ...suggestFromCatchAll(input.catchAll, context.categories, thresholds.catchAllCluster),
    ...suggestFromReroutes(input.reroutes, context.categories, thresholds.reroutes),
    ...suggestFromStalls(input.anomalies, context, thresholds.selfResolvedStalls),
    ...suggestFromFailures(input.repeatedFailures, context.workers, thresholds.repeatedFailures),
  ];
}

// ── Shared terms ────────────────────────────────────────────────────────────────────────────

interface Doc {
  taskId: number;
  text: string;
  stems: Set<string>;
}

/** Each stem's most frequent spelling, so proposals show words people typed, not stems. */
class Vocabulary {
  private readonly spellings = new Map<string, Map<string, number>>();

  read(text: string): Set<string> {
    const stems = new Set<string>();
    for (const term of terms(text)) {
      stems.add(term.stem);
      const counts = this.spellings.get(term.stem) ?? new Map<string, number>();
      counts.set(term.word, (counts.get(term.word) ?? 0) + 1);
      this.spellings.set(term.stem, counts);
    }
    return stems;
  }

  word(stem: string): string {
    const counts = [...(this.spellings.get(stem) ?? new Map<string, number>())];
    counts.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    return counts[0]?.[0] ?? stem;
  }
}

/** How many documents mention each stem. */
function documentFrequency(docs: readonly Doc[]): Map<string, number> {
  const frequency = new Map<string, number>();
  for (const doc of docs) {
    for (const stem of doc.stems) frequency.set(stem, (frequency.get(stem) ?? 0) + 1);
  }
  return frequency;
}

/** Stems in at least `share` of the documents (and at least two), most shared first. */
function sharedStems(docs: readonly Doc[], share: number, limit = 5): [string, number][] {
  const needed = Math.max(2, Math.ceil(docs.length * share));
  return [...documentFrequency(docs)]
    .filter(([, count]) => count >= needed)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit);
}

/** Stems a category already speaks: its description, examples and keywords. */
function categoryStems(category: CategoryRules): Set<string> {
  const text = [category.description, ...category.examples, ...category.match.keywords].join(" ");
  return new Set(tokenize(text));
}

function keywordStems(category: CategoryRules): Set<string> {
  return new Set(category.match.keywords.flatMap((keyword) => tokenize(keyword)));
}

function quote(text: string, max = 160): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function list(words: readonly string[]): string {
  return words.map((word) => `"${word}"`).join(", ");
}

// ── Catch-all clusters ──────────────────────────────────────────────────────────────────────

interface Cluster {
  docs: Doc[];
  shared: [string, number][];
}

/**
 * Greedy clustering: the stem most catch-all tasks mention seeds a cluster of the tasks that
 * mention it; those tasks are set aside and the next stem is tried. Cheap and explainable.
 */
function clusters(docs: readonly Doc[], minSize: number, maxClusters = 5): Cluster[] {
  const found: Cluster[] = [];
  let rest = [...docs];
  while (found.length < maxClusters) {
    const seed = [...documentFrequency(rest)].sort(
      (a, b) => b[1] - a[1] || a[0].localeCompare(b[0]),
    )[0];
    if (seed === undefined || seed[1] < minSize) break;
    const members = rest.filter((doc) => doc.stems.has(seed[0]));
    found.push({ docs: members, shared: sharedStems(members, 0.6) });
    rest = rest.filter((doc) => !doc.stems.has(seed[0]));
  }
  return found;
}

/** Catch-all tasks sharing terms → keywords for the category that speaks them, or a new one. */
export function suggestFromCatchAll(
  catchAll: CatchAllVolume,
  categories: readonly CategoryRules[],
  minTasks: number,
): Suggestion[] {
  const vocabulary = new Vocabulary();
  const home = categories.find((category) => category.catch_all)?.name;
  // What people did decides: a request they cancelled teaches nothing, one they rerouted
  // teaches its new category (the reroute rule's business); only those still waiting count.
  const docs = catchAll.tasks
    .filter((task) => task.state !== "cancelled" && (home === undefined || task.category === home))
    .map((task) => ({
      taskId: task.taskId,
      text: task.objective,
      stems: vocabulary.read(task.objective),
    }));
  const candidates = categories.filter((category) => !category.catch_all);
  return clusters(docs, minTasks).map((cluster) =>
    catchAllSuggestion(cluster, catchAll.count, candidates, vocabulary),
  );
}

function catchAllSuggestion(
  cluster: Cluster,
  catchAllCount: number,
  candidates: readonly CategoryRules[],
  vocabulary: Vocabulary,
): Suggestion {
  const stems = cluster.shared.map(([stem]) => stem);
  const words = stems.map((stem) => vocabulary.word(stem));
  const evidence: Evidence = {
    summary:
      `${cluster.docs.length} of ${catchAllCount} catch-all tasks mention ` +
      cluster.shared.map(([stem, count]) => `"${vocabulary.word(stem)}" (${count})`).join(", "),
    figures: { tasks: cluster.docs.length, catchAll: catchAllCount },
    taskIds: cluster.docs.slice(0, 5).map((doc) => doc.taskId),
    quotes: cluster.docs.slice(0, 3).map((doc) => quote(doc.text)),
  };
  const home = closestCategory(stems, candidates);
  if (home !== undefined) {
    const known = keywordStems(home);
    const missing = stems.filter((stem) => !known.has(stem)).map((stem) => vocabulary.word(stem));
    if (missing.length > 0) {
      return {
        kind: "category_keywords",
        title: `Route "${words[0]}" requests to \`${home.name}\``,
        proposal:
          `Add ${list(missing)} to categories[${home.name}].match.keywords: ` +
          "its description and examples already speak of them.",
        evidence,
      };
    }
  }
  const name = categoryName(words[0] ?? "new");
  return {
    kind: "new_category",
    title: `Add a category for "${words[0]}" requests`,
    proposal:
      `Add a category \`${name}\` with match.keywords [${words.join(", ")}], a worker, ` +
      `and these objectives as its examples.`,
    evidence,
  };
}

/** The category whose own words cover at least half of the shared terms, if any. */
function closestCategory(
  stems: readonly string[],
  candidates: readonly CategoryRules[],
): CategoryRules | undefined {
  let best: { category: CategoryRules; overlap: number } | undefined;
  for (const category of candidates) {
    const own = categoryStems(category);
    const overlap = stems.filter((stem) => own.has(stem)).length;
    if (overlap > (best?.overlap ?? 0)) best = { category, overlap };
  }
  return best !== undefined && best.overlap * 2 >= stems.length ? best.category : undefined;
}

/** A word as a valid category name (lower-case letters, digits, - and _). */
function categoryName(word: string): string {
  const name = word
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9_-]/g, "");
  return /^[a-z]/.test(name) ? name : `topic-${name || "new"}`;
}

// ── Reroutes ────────────────────────────────────────────────────────────────────────────────

/** Operators keep moving work from A to B → A's rules take B's work; name what it shares. */
export function suggestFromReroutes(
  reroutes: readonly ReroutePair[],
  categories: readonly CategoryRules[],
  minReroutes: number,
): Suggestion[] {
  const byName = new Map(categories.map((category) => [category.name, category]));
  // A request rerouted and then cancelled after all says nothing about where it belonged.
  return reroutes
    .filter((pair) => pair.kept >= minReroutes)
    .map((pair) => ({
      ...pair,
      count: pair.kept,
      tasks: pair.tasks.filter((task) => task.state !== "cancelled"),
    }))
    .map((pair) => rerouteSuggestion(pair, byName.get(pair.from), byName.get(pair.to)));
}

function rerouteSuggestion(
  pair: ReroutePair,
  from: CategoryRules | undefined,
  to: CategoryRules | undefined,
): Suggestion {
  const vocabulary = new Vocabulary();
  const docs = pair.tasks.map((task) => ({
    taskId: task.taskId,
    text: task.objective,
    stems: vocabulary.read(task.objective),
  }));
  const shared = sharedStems(docs, 0.5);
  // Neither what B already has nor A's own keywords (those are the culprits, named apart).
  const taken = new Set([
    ...(to === undefined ? [] : keywordStems(to)),
    ...(from === undefined ? [] : keywordStems(from)),
  ]);
  const newKeywords = shared
    .filter(([stem]) => !taken.has(stem))
    .map(([stem]) => vocabulary.word(stem));
  const culprits = from === undefined ? [] : matchingKeywords(from, docs);
  const rules = countBy(pair.tasks.map((task) => task.rule ?? "unknown"));
  const evidence: Evidence = {
    summary:
      `${pair.count} tasks rerouted from \`${pair.from}\` to \`${pair.to}\`; ` +
      `they share ${list(shared.map(([stem]) => vocabulary.word(stem))) || "no common terms"}; ` +
      `routed by ${[...rules].map(([rule, count]) => `${rule} ×${count}`).join(", ")}`,
    figures: {
      reroutes: pair.count,
      ...Object.fromEntries([...rules].map(([rule, count]) => [`routedBy:${rule}`, count])),
    },
    taskIds: docs.slice(0, 5).map((doc) => doc.taskId),
    quotes: docs.slice(0, 3).map((doc) => quote(doc.text)),
  };
  const steps: string[] = [];
  if (from?.catch_all !== true && culprits.length > 0) {
    steps.push(
      `narrow categories[${pair.from}].match: ` +
        `${culprits.map(([keyword, count]) => `"${keyword}" matched ${count}`).join(", ")} of them`,
    );
  }
  if (newKeywords.length > 0) {
    steps.push(`add ${list(newKeywords)} to categories[${pair.to}].match.keywords`);
  }
  if (steps.length === 0) steps.push(`add these objectives to categories[${pair.to}].examples`);
  const title =
    from?.catch_all === true
      ? `\`${pair.to}\`'s rules miss requests that end up in the catch-all`
      : `\`${pair.from}\`'s rules catch work that belongs to \`${pair.to}\``;
  return { kind: "fix_routing", title, proposal: capitalise(`${steps.join("; ")}.`), evidence };
}

/** A's keywords found in the rerouted objectives, with how many they matched. */
function matchingKeywords(category: CategoryRules, docs: readonly Doc[]): [string, number][] {
  return category.match.keywords
    .map((keyword): [string, number] => {
      const stems = tokenize(keyword);
      const count = docs.filter(
        (doc) => stems.length > 0 && stems.every((stem) => doc.stems.has(stem)),
      ).length;
      return [keyword, count];
    })
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1]);
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return new Map([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// ── Stall thresholds ────────────────────────────────────────────────────────────────────────

/**
 * A stall rule that fired again and again and every time the task moved on with nobody acting
 * was a false alarm: the threshold sits below the category's normal time in that state.
 */
export function suggestFromStalls(
  anomalies: readonly AnomalyRuleRow[],
  context: SuggestionContext,
  minFired: number,
): Suggestion[] {
  return anomalies
    .filter((row) => /stall/i.test(row.rule))
    .filter((row) => row.fired >= minFired && row.selfResolved === row.fired)
    .map((row) => stallSuggestion(row, context));
}

function stallSuggestion(row: AnomalyRuleRow, context: SuggestionContext): Suggestion {
  const state = stateNamed(row.rule) ?? stateNamed(row.detail);
  const category = context.categories.find((candidate) => candidate.name === row.category);
  const threshold = state === undefined ? undefined : category?.limits.stall[state];
  const longest = row.maxOpenMs ?? 0;
  const where = row.category === null ? "" : ` in \`${row.category}\``;
  const evidence: Evidence = {
    summary:
      `\`${row.rule}\` fired ${row.fired} times${where} and resolved itself every time ` +
      `(0 operator actions); the longest stayed flagged ${formatDuration(longest)}`,
    figures: { fired: row.fired, selfResolved: row.selfResolved, longestOpenMs: longest },
    taskIds: row.taskIds,
    quotes: row.detail === "" ? [] : [quote(row.detail)],
  };
  const title = `\`${row.rule}\`${where} only raises false alarms`;
  if (threshold !== undefined && category !== undefined && state !== undefined) {
    const looser = configDuration(roundUp(threshold + longest));
    return {
      kind: "loosen_stall",
      title,
      proposal:
        `Set categories[${category.name}].limits.stall.${state} to ${looser} ` +
        `(now ${configDuration(threshold)}).`,
      evidence,
    };
  }
  const factor = context.stallFactor * 2;
  return {
    kind: "loosen_stall",
    title,
    proposal:
      `Raise monitor.stall_factor from ${context.stallFactor} to ${factor}` +
      (state === undefined || row.category === null
        ? "."
        : `, or set categories[${row.category}].limits.stall.${state} explicitly.`),
    evidence,
  };
}

type StallState = keyof CategoryRules["limits"]["stall"];

/** The states a stall threshold can be set for, longest name first so none shadows another. */
const STALL_STATES: readonly StallState[] = [
  "needs_clarification",
  "retry_wait",
  "reviewing",
  "escalated",
  "running",
  "queued",
];

/** The task state a rule or detail names (`stall.queued`, "running for 2h"). */
function stateNamed(text: string): StallState | undefined {
  return STALL_STATES.find((state) => new RegExp(`(^|[^a-z])${state}([^a-z]|$)`, "i").test(text));
}

/** Up to a readable step: 15 minutes below 2 hours, hours below 2 days, then days. */
function roundUp(ms: number): number {
  const step = ms < 7_200_000 ? 900_000 : ms < 172_800_000 ? 3_600_000 : 86_400_000;
  return Math.ceil(ms / step) * step;
}

/** A duration as config takes it: one unit (`90m`, `5h`, `2d`). */
function configDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.ceil(ms / 1000)}s`;
}

// ── Worker instructions ─────────────────────────────────────────────────────────────────────

/** The same logic failure again and again is not bad luck: the worker is told the wrong thing. */
export function suggestFromFailures(
  failures: readonly RepeatedFailureRow[],
  workers: SuggestionContext["workers"],
  minCount: number,
): Suggestion[] {
  return failures
    .filter((row) => row.count >= minCount)
    .map((row) => {
      const instructions =
        workers[row.worker]?.kind === "llm"
          ? `workers.${row.worker}.prompt`
          : `the instructions of worker \`${row.worker}\``;
      return {
        kind: "worker_instructions",
        title: `\`${row.worker}\` keeps failing review the same way`,
        // An attempt can fail review without a message (a reviewer that gave no reasons).
        proposal:
          row.example === ""
            ? `Revise ${instructions}; the reviewer gave no reason, so read the failed outputs.`
            : `Revise ${instructions} so its output meets the check it fails: ` +
              `"${quote(row.example, 120)}".`,
        evidence: {
          summary:
            `${row.count} logic failures of \`${row.worker}\` over ${row.tasks} tasks ` +
            "with the same error",
          figures: { failures: row.count, tasks: row.tasks },
          taskIds: row.taskIds,
          quotes: row.example === "" ? [] : [quote(row.example)],
        },
      };
    });
}
