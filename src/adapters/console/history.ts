import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** Lines kept across runs, as a shell keeps them. */
export const HISTORY_SIZE = 1000;

/** The saved lines, newest first (readline's order); none when there is no file yet. */
export function loadHistory(file: string): string[] {
  try {
    return readFileSync(file, "utf8").split("\n").filter(Boolean).reverse().slice(0, HISTORY_SIZE);
  } catch {
    return [];
  }
}

/** Oldest first in the file, one line each; private to the user, as typed requests may be. */
export function saveHistory(file: string, history: readonly string[]): void {
  const lines = history.slice(0, HISTORY_SIZE).toReversed();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, lines.length === 0 ? "" : `${lines.join("\n")}\n`, { mode: 0o600 });
}
