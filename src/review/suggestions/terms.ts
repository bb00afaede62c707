import { terms, tokenize } from "../../routing/tokenize.js";
import type { CategoryRules } from "./suggestion.js";

/* The terms the rules compare: stems, the words people typed for them, what is shared. */

export interface Doc {
  taskId: number;
  text: string;
  stems: Set<string>;
}

/** Each stem's most frequent spelling, so proposals show words people typed, not stems. */
export class Vocabulary {
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
export function documentFrequency(docs: readonly Doc[]): Map<string, number> {
  const frequency = new Map<string, number>();
  for (const doc of docs) {
    for (const stem of doc.stems) frequency.set(stem, (frequency.get(stem) ?? 0) + 1);
  }
  return frequency;
}

/** Stems in at least `share` of the documents (and at least two), most shared first. */
export function sharedStems(docs: readonly Doc[], share: number, limit = 5): [string, number][] {
  const needed = Math.max(2, Math.ceil(docs.length * share));
  return [...documentFrequency(docs)]
    .filter(([, count]) => count >= needed)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit);
}

/** Stems a category already speaks: its description, examples and keywords. */
export function categoryStems(category: CategoryRules): Set<string> {
  const text = [category.description, ...category.examples, ...category.match.keywords].join(" ");
  return new Set(tokenize(text));
}

export function keywordStems(category: CategoryRules): Set<string> {
  return new Set(category.match.keywords.flatMap((keyword) => tokenize(keyword)));
}
