import { splitOutsideUrls } from "./urls.js";

/* A section's body read as list items or as one line. */

export const LIST_MARKER = String.raw`(?:[-*•+]|\d{1,3}[.)])`;

/** A list marker at the start of a line: `-`, `*`, `•`, `+`, `1.`, `1)`, and `- [ ]` boxes. */
const BULLET = new RegExp(String.raw`^[ \t]*${LIST_MARKER}[ \t]+(?:\[[ xX]\][ \t]+)?`);

/**
 * A list body: one item per bullet (indented lines continue the bullet above), else one per line,
 * and a single line splits on `;`. Commas are kept: "tone, length and links" is one constraint.
 */
export function splitListBody(lines: readonly string[]): string[] {
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
export function joinLines(lines: readonly string[]): string {
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

/**
 * Drops trailing characters that match `char` (a one-character test). A loop rather than a regex
 * such as /[\s,;]+$/, which backtracks quadratically over a long run of those characters.
 */
export function trimEndWhile(text: string, char: RegExp): string {
  let end = text.length;
  while (end > 0 && char.test(text.charAt(end - 1))) end--;
  return text.slice(0, end);
}

export function collapse(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
