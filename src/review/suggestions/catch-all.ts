import type { CatchAllVolume } from "../port.js";
import type { CategoryRules, Evidence, Suggestion } from "./suggestion.js";
import {
  categoryStems,
  type Doc,
  documentFrequency,
  keywordStems,
  sharedStems,
  Vocabulary,
} from "./terms.js";
import { list, quote } from "./wording.js";

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
