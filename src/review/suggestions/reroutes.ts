import { tokenize } from "../../routing/tokenize.js";
import type { ReroutePair } from "../port.js";
import type { CategoryRules, Evidence, Suggestion } from "./suggestion.js";
import { type Doc, keywordStems, sharedStems, Vocabulary } from "./terms.js";
import { capitalise, list, quote } from "./wording.js";

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
