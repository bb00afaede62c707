import { BRIEF_FIELDS, type Brief, type BriefField, emptyBrief } from "../core/brief.js";

/** What a free-text request says, before anyone asks for the fields it left out. */
export interface ParsedRequest {
  brief: Brief;
  /** Set when the text names one with a `Category:` label (lower-cased, trimmed). */
  category?: string;
}

type SectionKey = BriefField | "category";

const LIST_FIELDS = [
  "inputs",
  "constraints",
  "acceptance_criteria",
] as const satisfies readonly BriefField[];
type ListField = (typeof LIST_FIELDS)[number];

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

const LABEL_KEYS = new Map<string, SectionKey>(
  Object.entries(LABEL_PHRASES).flatMap(([key, phrases]) =>
    phrases.map((phrase): [string, SectionKey] => [phrase, key as SectionKey]),
  ),
);

/** A negating label is part of the rule: "Don't: use jargon" means "Don't use jargon". */
const NEGATING_PREFIXES = new Map<string, string>([
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
const PROSE_LEADERS = new Set([
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

/** Longest phrases first, so "output format" wins over "output" and "done when" over "done". */
const LABEL_ALTERNATION = [...LABEL_KEYS.keys()]
  .sort((a, b) => b.length - a.length)
  .map((phrase) => phrase.replace(/ /g, "[ \\t]+").replace(/'/g, "['’]"))
  .join("|");

const EMPHASIS = String.raw`(?:\*\*|__|\*|_)?`;
const BOLD = String.raw`(?:\*\*|__)?`;
const LIST_MARKER = String.raw`(?:[-*•+]|\d{1,3}[.)])`;

/*
 * The label rule.
 *
 * A label is a known label phrase (any case) followed by a colon. It is recognised
 *  1. at the start of a line, optionally decorated as markdown: `## `, `> `, a list marker
 *     (`- Objective:`), emphasis around the word or the colon (`**Objective:**`, `**Goal**:`);
 *  2. as a markdown heading or bold line that is just the label (`## Objective`, `**Inputs**`);
 *  3. inline, when the phrase is preceded by whitespace or sentence punctuation (`. , ; ! ? )`),
 *     and its colon is followed by whitespace or the end of the line (so `data:image/png` and
 *     URLs never split) — unless the word before it marks it as prose: an article, determiner or
 *     preposition ("the data: …", "this format: …"), or a word that with it makes a longer label
 *     already refused ("the output format: …" does not become a `format:` label).
 * A word such as "format" without a colon never splits anything. Nothing inside a code fence,
 * an inline code span or a URL is a label.
 */
const LINE_LABEL = new RegExp(
  String.raw`^[ \t]*(?:#{1,6}[ \t]*)?(?:>[ \t]*)?(?:${LIST_MARKER}[ \t]+)?` +
    String.raw`${EMPHASIS}(${LABEL_ALTERNATION})${EMPHASIS}[ \t]*:${EMPHASIS}[ \t]*`,
  "i",
);
const HEADING_LABEL = new RegExp(
  String.raw`^[ \t]*(?:#{1,6}[ \t]*${BOLD}|\*\*|__)` +
    String.raw`(${LABEL_ALTERNATION})${BOLD}[ \t]*:?${BOLD}[ \t]*$`,
  "i",
);
/** What every heading label starts with (after blanks): a cheap test before HEADING_LABEL. */
const HEADING_START = /^[ \t]*[#*_]/;
const INLINE_LABEL = new RegExp(
  String.raw`(?<=^|[\s.,;!?)])${BOLD}(${LABEL_ALTERNATION})` +
    String.raw`${BOLD}:${BOLD}(?=\s|$)[ \t]*`,
  "gi",
);

/** A list marker at the start of a line: `-`, `*`, `•`, `+`, `1.`, `1)`, and `- [ ]` boxes. */
const BULLET = new RegExp(String.raw`^[ \t]*${LIST_MARKER}[ \t]+(?:\[[ xX]\][ \t]+)?`);
const PROSE_LOOKBACK = 80;
/** Neither whitespace, punctuation nor a letter: masked text can neither be nor precede a label. */
const QUOTE_MASK = "\u0000";
const URL_CANDIDATE = /https?:\/\/[^\s<>"'`]+/gi;
const CODE_SPAN = /`[^`]*`/g;

interface Section {
  key: SectionKey | null;
  label: string;
  lines: string[];
}

interface Marker {
  key: SectionKey;
  label: string;
  start: number;
  end: number;
}

interface Span {
  start: number;
  end: number;
}

/**
 * Turns a free-text request (a Discord message, a console line, a webhook's text) into a brief.
 * Never throws; whitespace-only text gives an empty brief (plus any attachments).
 */
export function parseFreeText(text: string, attachments: string[] = []): ParsedRequest {
  const source = typeof text === "string" ? text : "";
  try {
    return parse(source, Array.isArray(attachments) ? attachments : []);
  } catch {
    // A parser bug must not lose the request: keep the words as the objective.
    return { brief: { ...emptyBrief(), objective: collapse(source) } };
  }
}

/**
 * A brief from structured fields (slash-command options, webhook fields). List fields given as one
 * string are split like a section body; strings are trimmed; URLs are left where they are.
 */
export function normaliseFields(fields: Partial<Record<BriefField, string | string[]>>): Brief {
  const brief = emptyBrief();
  for (const field of BRIEF_FIELDS) {
    const value: unknown = fields?.[field];
    if (isListField(field)) brief[field] = normaliseList(value);
    else brief[field] = normaliseString(value);
  }
  return brief;
}

function parse(text: string, attachments: readonly string[]): ParsedRequest {
  const brief = emptyBrief();
  let category: string | undefined;
  if (text.trim() !== "") {
    const [leading, ...labelled] = segment(text);
    const strings: Record<Exclude<BriefField, ListField>, string[]> = {
      objective: [],
      output_format: [],
    };
    for (const { key, label, lines } of labelled) {
      if (key === "category") category ??= readCategory(lines);
      else if (key !== null && isListField(key)) brief[key].push(...listItems(label, lines));
      // Repeated string labels join, in the order they were written.
      else if (key !== null) strings[key].push(joinLines(lines));
    }
    brief.objective = joinNonEmpty(strings.objective);
    brief.output_format = joinNonEmpty(strings.output_format);
    placeLeadingText(brief, joinLines(leading?.lines ?? []));
    appendUnique(brief.inputs, harvestUrls(text));
  }
  appendUnique(
    brief.inputs,
    attachments.filter((item) => typeof item === "string"),
  );
  return category === undefined ? { brief } : { brief, category };
}

/**
 * Unlabelled text before the first label is the objective when no label gave one; otherwise it
 * is kept as context in the inputs, ahead of the rest.
 */
function placeLeadingText(brief: Brief, leading: string): void {
  if (leading === "") return;
  if (brief.objective === "") brief.objective = leading;
  else brief.inputs.unshift(leading);
}

function listItems(label: string, lines: readonly string[]): string[] {
  const prefix = NEGATING_PREFIXES.get(canonicalLabel(label));
  const items = splitListBody(lines);
  return prefix ? items.map((item) => withPrefix(prefix, item)) : items;
}

function joinNonEmpty(parts: readonly string[]): string {
  return parts.filter((part) => part !== "").join(" ");
}

function readCategory(lines: readonly string[]): string | undefined {
  const value = trimEndWhile(joinLines(lines).toLowerCase(), /[\s.!]/);
  return value === "" ? undefined : value;
}

/** Splits the text into sections: the unlabelled lead (always first), then one per label. */
function segment(text: string): Section[] {
  const sections: Section[] = [{ key: null, label: "", lines: [] }];
  let inFence = false;
  for (const line of text.split(/\r\n|\r|\n/)) {
    // Most lines have no fence: one substring search instead of two regex scans.
    const fenced = line.includes("```");
    const fences = fenced ? (line.match(/```/g)?.length ?? 0) : 0;
    if (inFence || (fenced && /^\s*```/.test(line))) {
      // Code is quoted material: nothing inside a fence is a label.
      lastOf(sections).lines.push(line);
      if (fences % 2 === 1) inFence = !inFence;
      continue;
    }
    let cursor = 0;
    const head = matchLineLabel(line);
    if (head) {
      sections.push({ key: head.key, label: head.label, lines: [] });
      cursor = head.end;
    }
    for (const marker of findInlineLabels(line, cursor)) {
      // "Format: markdown; Done when: …" — the separator before an inline label is not content.
      lastOf(sections).lines.push(trimEndWhile(line.slice(cursor, marker.start), /[\s,;]/));
      sections.push({ key: marker.key, label: marker.label, lines: [] });
      cursor = marker.end;
    }
    lastOf(sections).lines.push(line.slice(cursor));
    if (fences % 2 === 1) inFence = true;
  }
  return sections;
}

function lastOf(sections: readonly Section[]): Section {
  return sections[sections.length - 1]!;
}

/**
 * Drops trailing characters that match `char` (a one-character test). A loop rather than a regex
 * such as /[\s,;]+$/, which backtracks quadratically over a long run of those characters.
 */
function trimEndWhile(text: string, char: RegExp): string {
  let end = text.length;
  while (end > 0 && char.test(text.charAt(end - 1))) end--;
  return text.slice(0, end);
}

function matchLineLabel(line: string): Marker | undefined {
  // Both are long alternations, and most lines of prose can match neither: a line label ends
  // in a colon, and a heading label starts with `#`, `**` or `__`.
  const match =
    (line.includes(":") ? LINE_LABEL.exec(line) : null) ??
    (HEADING_START.test(line) ? HEADING_LABEL.exec(line) : null);
  const label = match?.[1];
  const key = label === undefined ? undefined : LABEL_KEYS.get(canonicalLabel(label));
  if (!match || label === undefined || key === undefined) return undefined;
  return { key, label, start: 0, end: match[0].length };
}

function findInlineLabels(line: string, from: number): Marker[] {
  // Every label ends in a colon: most lines of free text have none to look for.
  if (!line.includes(":", from)) return [];
  const masked = maskQuoted(line);
  const markers: Marker[] = [];
  // One global regex, its lastIndex set here: each call starts where it is told to.
  const pattern = INLINE_LABEL;
  pattern.lastIndex = from;
  for (let match = pattern.exec(masked); match; match = pattern.exec(masked)) {
    const label = match[1] ?? "";
    const key = LABEL_KEYS.get(canonicalLabel(label));
    const start = match.index;
    // Only the last two words matter to isProse; a bounded slice keeps long lines linear.
    const before = masked.slice(Math.max(0, start - PROSE_LOOKBACK), start);
    if (key === undefined || isProse(before, label)) {
      // Retry one character on, so "format:" can still be found inside a refused "output format:".
      pattern.lastIndex = start + 1;
      continue;
    }
    markers.push({ key, label, start, end: start + match[0].length });
  }
  return markers;
}

/** Whether the words before an inline label show it is ordinary prose (see the label rule). */
function isProse(before: string, label: string): boolean {
  const tail = before.replace(/(?:\*\*|__)$/, "").trimEnd();
  if (tail === "" || /[.,;!?)]$/.test(tail)) return false;
  const words = canonicalLabel(tail).split(" ");
  const last = words[words.length - 1] ?? "";
  const lastTwo = words.slice(-2).join(" ");
  const phrase = canonicalLabel(label);
  return (
    PROSE_LEADERS.has(last) ||
    LABEL_KEYS.has(`${last} ${phrase}`) ||
    LABEL_KEYS.has(`${lastTwo} ${phrase}`)
  );
}

/**
 * A list body: one item per bullet (indented lines continue the bullet above), else one per line,
 * and a single line splits on `;`. Commas are kept: "tone, length and links" is one constraint.
 */
function splitListBody(lines: readonly string[]): string[] {
  const filled = lines.filter((line) => line.trim() !== "");
  if (!filled.some((line) => BULLET.test(line))) {
    const items = filled.map(collapse);
    return items.length === 1 ? splitOutsideUrls(items[0] ?? "", ";") : items;
  }
  const items: string[] = [];
  let continuable = false;
  for (const line of filled) {
    const bullet = BULLET.test(line);
    const text = collapse(line.replace(BULLET, ""));
    if (!bullet && continuable && /^[ \t]/.test(line)) {
      items[items.length - 1] = `${items[items.length - 1]} ${text}`;
      continue;
    }
    if (text !== "") items.push(text);
    continuable = bullet && text !== "";
  }
  return items;
}

/**
 * A string body on one line: lines join with a space, bullet markers go, and consecutive bullets
 * are separated by "; " so a list stays readable as a sentence.
 */
function joinLines(lines: readonly string[]): string {
  // Parts joined once at the end: growing one string and reading its end is quadratic in V8.
  const parts: string[] = [];
  let previousWasBullet = false;
  for (const line of lines) {
    const bullet = BULLET.test(line);
    const text = collapse(line.replace(BULLET, ""));
    if (text === "") continue;
    const previous = parts[parts.length - 1] ?? "";
    const separator =
      parts.length === 0
        ? ""
        : bullet && previousWasBullet && !/[.,;:!?]$/.test(previous)
          ? "; "
          : " ";
    parts.push(separator, text);
    previousWasBullet = bullet;
  }
  return parts.join("");
}

function splitOutsideUrls(text: string, separator: string): string[] {
  const pieces = [""];
  let cursor = 0;
  const addSplit = (part: string): void => {
    const [first = "", ...rest] = part.split(separator);
    pieces[pieces.length - 1] += first;
    pieces.push(...rest);
  };
  for (const span of urlSpans(text)) {
    addSplit(text.slice(cursor, span.start));
    pieces[pieces.length - 1] += text.slice(span.start, span.end);
    cursor = span.end;
  }
  addSplit(text.slice(cursor));
  return pieces.map((piece) => piece.trim()).filter((piece) => piece !== "");
}

/** Every distinct URL in the text, in order, without trailing sentence punctuation. */
function harvestUrls(text: string): string[] {
  return [...new Set(urlSpans(text).map((span) => text.slice(span.start, span.end)))];
}

function urlSpans(text: string): Span[] {
  const spans: Span[] = [];
  // Every URL candidate has a scheme separator: most text has none to look for.
  if (!text.includes("://")) return spans;
  for (const match of text.matchAll(URL_CANDIDATE))
    spans.push({ start: match.index, end: match.index + trimUrl(match[0]).length });
  return spans;
}

/** Drops sentence punctuation and markdown after a URL; a `)` stays when it closes a `(` inside. */
function trimUrl(candidate: string): string {
  const openers: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
  // Unmatched closers per kind, counted once so trimming stays linear.
  const unmatched = new Map<string, number>();
  for (const [closer, opener] of Object.entries(openers)) {
    unmatched.set(closer, count(candidate, closer) - count(candidate, opener));
  }
  let end = candidate.length;
  for (; end > 0; end--) {
    const last = candidate.charAt(end - 1);
    const extra = unmatched.get(last);
    if (extra !== undefined && extra > 0) unmatched.set(last, extra - 1);
    else if (!/[.,;:!?*_~|]/.test(last)) break;
  }
  return candidate.slice(0, end);
}

function count(text: string, char: string): number {
  return text.split(char).length - 1;
}

function matchSpans(text: string, pattern: RegExp): Span[] {
  return [...text.matchAll(pattern)].map((match) => ({
    start: match.index,
    end: match.index + match[0].length,
  }));
}

/** The line with URLs and inline code blanked out (same length, so offsets still hold). */
function maskQuoted(line: string): string {
  const spans = [...urlSpans(line), ...matchSpans(line, CODE_SPAN)].sort(
    (a, b) => a.start - b.start,
  );
  const parts: string[] = [];
  let cursor = 0;
  for (const { start, end } of spans) {
    if (end <= cursor) continue; // inside a span already masked (a URL in a code span)
    const from = Math.max(start, cursor);
    parts.push(line.slice(cursor, from), QUOTE_MASK.repeat(end - from));
    cursor = end;
  }
  parts.push(line.slice(cursor));
  return parts.join("");
}

/** Adds items not already there; a URL already quoted inside an input counts as there. */
function appendUnique(inputs: string[], items: readonly string[]): void {
  // Most requests bring no URL and no attachment: nothing to compare against.
  if (items.length === 0) return;
  const present = new Set(inputs.flatMap((input) => [input, ...harvestUrls(input)]));
  for (const raw of items) {
    const item = raw.trim();
    if (item === "" || present.has(item)) continue;
    inputs.push(item);
    present.add(item);
  }
}

function withPrefix(prefix: string, item: string): string {
  if (canonicalLabel(item).startsWith(`${canonicalLabel(prefix)} `)) return item;
  // Lower-case a capitalised first word ("Use" → "use") but leave acronyms ("API") alone.
  const first = /^\p{Lu}\p{Ll}/u.test(item) ? item.charAt(0).toLowerCase() + item.slice(1) : item;
  return `${prefix} ${first}`;
}

function normaliseList(value: unknown): string[] {
  if (typeof value === "string") return splitListBody(value.split(/\r\n|\r|\n/));
  if (!Array.isArray(value)) return [];
  return value
    .filter((item): item is string => typeof item === "string")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

function normaliseString(value: unknown): string {
  if (typeof value === "string") return value.trim();
  if (!Array.isArray(value)) return "";
  return value
    .filter((item): item is string => typeof item === "string")
    .map((item) => item.trim())
    .filter((item) => item !== "")
    .join(" ");
}

function isListField(field: BriefField): field is ListField {
  return (LIST_FIELDS as readonly BriefField[]).includes(field);
}

function canonicalLabel(text: string): string {
  return text.toLowerCase().replace(/’/g, "'").replace(/\s+/g, " ").trim();
}

function collapse(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
