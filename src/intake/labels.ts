import type { BriefField } from "../core/brief.js";

/*
 * The vocabulary of labelled requests: the phrases that name each field of a brief, the negating
 * ones that belong to the rule they introduce, and the words that show a label word is prose.
 */

export type SectionKey = BriefField | "category";

export const LIST_FIELDS = [
  "inputs",
  "constraints",
  "acceptance_criteria",
] as const satisfies readonly BriefField[];
export type ListField = (typeof LIST_FIELDS)[number];

/** Label phrases, written lower-case with single spaces and straight apostrophes. */
const LABEL_PHRASES: Record<SectionKey, readonly string[]> = {
  objective: ["objective", "objectives", "goal", "goals", "task", "ask", "request", "summary"],
  inputs: [
    "inputs",
    "input",
    "context",
    "background",
    "materials",
    "material",
    "resources",
    "resource",
    "references",
    "links",
    "link",
    "attachments",
    "attachment",
    "files",
    "sources",
    "source",
    "data",
  ],
  constraints: [
    "constraints",
    "constraint",
    "limits",
    "limit",
    "limitations",
    "restrictions",
    "rules",
    "rule",
    "requirements",
    "requirement",
    "don't",
    "dont",
    "do not",
    "must not",
    "avoid",
  ],
  output_format: [
    "output format",
    "response format",
    "expected output",
    "output",
    "format",
    "deliverables",
    "deliverable",
    "deliver as",
    "return",
  ],
  acceptance_criteria: [
    "acceptance criteria",
    "acceptance",
    "done when",
    "definition of done",
    "dod",
    "success criteria",
    "criteria",
    "criterion",
    "done",
  ],
  category: ["category"],
};

export const LABEL_KEYS = new Map<string, SectionKey>(
  Object.entries(LABEL_PHRASES).flatMap(([key, phrases]) =>
    phrases.map((phrase): [string, SectionKey] => [phrase, key as SectionKey]),
  ),
);

/** A negating label is part of the rule: "Don't: use jargon" means "Don't use jargon". */
export const NEGATING_PREFIXES = new Map<string, string>([
  ["don't", "Don't"],
  ["dont", "Don't"],
  ["do not", "Do not"],
  ["must not", "Must not"],
  ["avoid", "Avoid"],
]);

/**
 * Words that, right before a label word, show it is prose ("fix the data: …", "use this
 * format: …") rather than a label typed inline.
 */
export const PROSE_LEADERS = new Set([
  "a",
  "an",
  "the",
  "this",
  "that",
  "these",
  "those",
  "my",
  "your",
  "our",
  "their",
  "his",
  "her",
  "its",
  "of",
  "in",
  "on",
  "for",
  "with",
  "to",
  "into",
  "from",
  "by",
  "at",
  "about",
  "per",
  "no",
  "any",
  "some",
  "each",
  "every",
  "which",
  "what",
  "whose",
]);

export function isListField(field: BriefField): field is ListField {
  return (LIST_FIELDS as readonly BriefField[]).includes(field);
}

export function canonicalLabel(text: string): string {
  return text.toLowerCase().replace(/’/g, "'").replace(/\s+/g, " ").trim();
}
