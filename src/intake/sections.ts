import { canonicalLabel, LABEL_KEYS, PROSE_LEADERS, type SectionKey } from "./labels.js";
import { LIST_MARKER, trimEndWhile } from "./section-body.js";
import { type Span, urlSpans } from "./urls.js";

/* Free text cut into sections where its labels are (the label rule below). */

/** Longest phrases first, so "output format" wins over "output" and "done when" over "done". */
const LABEL_ALTERNATION = [...LABEL_KEYS.keys()]
  .sort((a, b) => b.length - a.length)
  .map((phrase) => phrase.replace(/ /g, "[ \\t]+").replace(/'/g, "['’]"))
  .join("|");

const EMPHASIS = String.raw`(?:\*\*|__|\*|_)?`;
const BOLD = String.raw`(?:\*\*|__)?`;

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

const PROSE_LOOKBACK = 80;
/** Neither whitespace, punctuation nor a letter: masked text can neither be nor precede a label. */
const QUOTE_MASK = "\u0000";
const CODE_SPAN = /`[^`]*`/g;

export interface Section {
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

/** Splits the text into sections: the unlabelled lead (always first), then one per label. */
export function segment(text: string): Section[] {
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
