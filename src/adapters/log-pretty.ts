import { printable } from "../core/printable.js";

/**
 * LOG_FORMAT=pretty: pino's JSON line as one line a person reads,
 * `2026-12-06 08:12:01.123 INFO  listening on http://127.0.0.1:8787 port=8787`.
 * (pino-pretty would do this through a worker thread and a dozen packages; this is all we use.)
 */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith("\n") ? json : `${json}\n`;
  }
  const { time, level, msg, ...rest } = entry;
  const when = typeof time === "string" ? time.replace("T", " ").replace(/Z$/, "") : "";
  const label = String(level ?? "")
    .toUpperCase()
    .padEnd(5);
  const extra = Object.entries(rest).map(([key, value]) => ` ${key}=${render(value)}`);
  // Messages quote outside text (an objective, a worker's error): escaped, so an entry can
  // neither forge another line nor drive the terminal.
  return `${printable(`${when} ${label} ${String(msg ?? "")}${extra.join("")}`, "escape")}\n`;
}

function render(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}
