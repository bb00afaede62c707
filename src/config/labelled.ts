/**
 * Labelled requests as JSON Lines, one `{"text": "…", "category": "…"}` per line: the format of
 * a classifier's corpus, of `steward route --eval` files and of `routing examples --export`.
 * Other fields (`id`, `style`) are allowed and `id` is kept.
 */

export interface LabelledRequest {
  id?: string;
  text: string;
  /** The category a person would have chosen; the catch-all's name for what fits nowhere. */
  category: string;
}

export interface LabelledProblem {
  /** 1-based line number. */
  line: number;
  message: string;
}

export function readLabelledLines(text: string): {
  requests: LabelledRequest[];
  /** The line of each request, in the same order. */
  lines: number[];
  problems: LabelledProblem[];
} {
  const requests: LabelledRequest[] = [];
  const lines: number[] = [];
  const problems: LabelledProblem[] = [];
  text.split("\n").forEach((raw, index) => {
    if (raw.trim() === "") return;
    const line = index + 1;
    let entry: unknown;
    try {
      entry = JSON.parse(raw);
    } catch {
      problems.push({ line, message: "not valid JSON" });
      return;
    }
    const { text: request, category, id } = (entry ?? {}) as Record<string, unknown>;
    if (typeof request !== "string" || typeof category !== "string") {
      problems.push({ line, message: 'expected {"text": "...", "category": "..."}' });
      return;
    }
    requests.push({ text: request, category, ...(typeof id === "string" && { id }) });
    lines.push(line);
  });
  return { requests, lines, problems };
}
