/**
 * Text made one line: every run of whitespace (newlines included) becomes one space, ends
 * trimmed. With `max`, a longer line is cut to `max` characters, the last an ellipsis. Shared by
 * the domain's reports and every adapter's cards, so a summary reads the same everywhere.
 */
export function oneLine(text: string, max = Number.POSITIVE_INFINITY): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
