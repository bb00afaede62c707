import { stripVTControlCharacters } from "node:util";

/**
 * Text from outside (task text, a requester, a worker's output, a webhook's fields) made safe
 * to write to a terminal or a log line. ANSI escape sequences (CSI, OSC) are removed: they can
 * clear the screen, retitle the window or hide text. Every control character left (an ESC that
 * was not a well-formed sequence, BEL, CR, backspace, DEL, C1, bidi overrides) is shown
 * escaped, as `\x07`, so the reader sees that something odd was sent. Newlines are kept for
 * multi-line text, or escaped as `\n` where one line must stay one line (a log entry).
 */
export function printable(text: string, newlines: "keep" | "escape" = "keep"): string {
  const stripped = stripVTControlCharacters(text);
  return stripped.replace(newlines === "keep" ? CONTROL : CONTROL_OR_NEWLINE, escaped);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_OR_NEWLINE = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escaped(character: string): string {
  if (character === "\n") return "\\n";
  if (character === "\r") return "\\r";
  const code = character.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}
