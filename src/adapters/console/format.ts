import { formatDuration } from "../../config/duration.js";
import type { Config } from "../../config/schema.js";
import type { Attempt } from "../../core/attempt.js";
import { oneLine } from "../../core/one-line.js";
import type { TaskState } from "../../core/states.js";

/** What the renderers need to know of the config: the categories and their workers. */
export interface ConsoleView {
  categories: { name: string; catchAll: boolean; worker?: string }[];
}

export function consoleView(config: Config): ConsoleView {
  return {
    categories: config.categories.map((category) => ({
      name: category.name,
      catchAll: category.catch_all,
      worker: category.worker,
    })),
  };
}

export function isCatchAll(view: ConsoleView, category: string): boolean {
  return view.categories.some((entry) => entry.name === category && entry.catchAll);
}

/** Categories a task can be rerouted to: every one with a worker. */
export function rerouteTargets(view: ConsoleView): string[] {
  return view.categories.filter((entry) => !entry.catchAll).map((entry) => entry.name);
}

const pad = (n: number) => String(n).padStart(2, "0");

/** Local wall-clock time, `2026-01-01 12:00:03`. */
export function stamp(at: number): string {
  const d = new Date(at);
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${date} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function duration(ms: number): string {
  return formatDuration(Math.max(0, ms));
}

const STATE_LABELS: Partial<Record<TaskState, string>> = {
  needs_clarification: "needs clarification",
  retry_wait: "waiting to retry",
};

export function stateLabel(state: TaskState): string {
  return STATE_LABELS[state] ?? state;
}

/** The shared helper (src/core/one-line.ts), beside the other text helpers cards import here. */
export { oneLine };

export function indent(text: string, prefix = "  "): string {
  return text
    .split("\n")
    .map((line) => (line === "" ? "" : `${prefix}${line}`))
    .join("\n");
}

/** `label:` padded so the values of a block line up; an empty label continues the one above. */
export function field(label: string, value: string, width = 11): string {
  return `  ${(label === "" ? "" : `${label}:`).padEnd(width)}${value}`;
}

/**
 * The first `max` characters of a long text, cut at a line break (else a space) when one is
 * near, and how many characters were left out.
 */
export function trimText(text: string, max: number): { shown: string; omitted: number } {
  const trimmed = text.trim();
  if (trimmed.length <= max) return { shown: trimmed, omitted: 0 };
  const lineBreak = trimmed.lastIndexOf("\n", max);
  const space = trimmed.lastIndexOf(" ", max);
  const cut = lineBreak > max * 0.6 ? lineBreak : space > max * 0.8 ? space : max;
  const shown = trimmed.slice(0, cut).trimEnd();
  return { shown, omitted: trimmed.length - shown.length };
}

/**
 * `#1 2026-01-01 12:00:03 · 2s · demo-writer · failed (transient): timed out`; an error equal
 * to the `previous` attempt's is written "same error" so a card stays short.
 */
export function attemptLine(attempt: Attempt, previous?: Attempt): string {
  const took =
    attempt.endedAt === null ? "still running" : duration(attempt.endedAt - attempt.startedAt);
  const outcome =
    attempt.failureClass === null
      ? attempt.outcome
      : `${attempt.outcome} (${attempt.failureClass})`;
  const same = attempt.error !== null && attempt.error === previous?.error;
  const error =
    attempt.error === null ? "" : `: ${same ? "same error" : oneLine(attempt.error, 160)}`;
  return `#${attempt.number} ${stamp(attempt.startedAt)} · ${took} · ${attempt.worker} · ${outcome}${error}`;
}

export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
