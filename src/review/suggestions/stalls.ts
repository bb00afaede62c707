import { formatDuration } from "../../config/duration.js";
import type { AnomalyRuleRow } from "../port.js";
import type { CategoryRules, Evidence, Suggestion, SuggestionContext } from "./suggestion.js";
import { quote } from "./wording.js";

/**
 * A stall rule that fired again and again and every time the task moved on with nobody acting
 * was a false alarm: the threshold sits below the category's normal time in that state.
 */
export function suggestFromStalls(
  anomalies: readonly AnomalyRuleRow[],
  context: SuggestionContext,
  minFired: number,
): Suggestion[] {
  return anomalies
    .filter((row) => /stall/i.test(row.rule))
    .filter((row) => row.fired >= minFired && row.selfResolved === row.fired)
    .map((row) => stallSuggestion(row, context));
}

function stallSuggestion(row: AnomalyRuleRow, context: SuggestionContext): Suggestion {
  const state = stateNamed(row.rule) ?? stateNamed(row.detail);
  const category = context.categories.find((candidate) => candidate.name === row.category);
  const threshold = state === undefined ? undefined : category?.limits.stall[state];
  const longest = row.maxOpenMs ?? 0;
  const where = row.category === null ? "" : ` in \`${row.category}\``;
  const evidence: Evidence = {
    summary:
      `\`${row.rule}\` fired ${row.fired} times${where} and resolved itself every time ` +
      `(0 operator actions); the longest stayed flagged ${formatDuration(longest)}`,
    figures: { fired: row.fired, selfResolved: row.selfResolved, longestOpenMs: longest },
    taskIds: row.taskIds,
    quotes: row.detail === "" ? [] : [quote(row.detail)],
  };
  const title = `\`${row.rule}\`${where} only raises false alarms`;
  if (threshold !== undefined && category !== undefined && state !== undefined) {
    const looser = configDuration(roundUp(threshold + longest));
    return {
      kind: "loosen_stall",
      title,
      proposal:
        `Set categories[${category.name}].limits.stall.${state} to ${looser} ` +
        `(now ${configDuration(threshold)}).`,
      evidence,
    };
  }
  const factor = context.stallFactor * 2;
  return {
    kind: "loosen_stall",
    title,
    proposal:
      `Raise monitor.stall_factor from ${context.stallFactor} to ${factor}` +
      (state === undefined || row.category === null
        ? "."
        : `, or set categories[${row.category}].limits.stall.${state} explicitly.`),
    evidence,
  };
}

type StallState = keyof CategoryRules["limits"]["stall"];

/** The states a stall threshold can be set for, longest name first so none shadows another. */
const STALL_STATES: readonly StallState[] = [
  "needs_clarification",
  "retry_wait",
  "reviewing",
  "escalated",
  "running",
  "queued",
];

/** The task state a rule or detail names (`stall.queued`, "running for 2h"). */
function stateNamed(text: string): StallState | undefined {
  return STALL_STATES.find((state) => new RegExp(`(^|[^a-z])${state}([^a-z]|$)`, "i").test(text));
}

/** Up to a readable step: 15 minutes below 2 hours, hours below 2 days, then days. */
function roundUp(ms: number): number {
  const step = ms < 7_200_000 ? 900_000 : ms < 172_800_000 ? 3_600_000 : 86_400_000;
  return Math.ceil(ms / step) * step;
}

/** A duration as config takes it: one unit (`90m`, `5h`, `2d`). */
function configDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.ceil(ms / 1000)}s`;
}
