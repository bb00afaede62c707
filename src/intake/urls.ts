/* URLs in free text: where they are, without the punctuation that follows them. */

const URL_CANDIDATE = /https?:\/\/[^\s<>"'`]+/gi;

export interface Span {
  start: number;
  end: number;
}

export function splitOutsideUrls(text: string, separator: string): string[] {
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
export function harvestUrls(text: string): string[] {
  return [...new Set(urlSpans(text).map((span) => text.slice(span.start, span.end)))];
}

export function urlSpans(text: string): Span[] {
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
