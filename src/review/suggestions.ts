import type { AnomalyRuleRow, CatchAllVolume, RepeatedFailureRow, ReroutePair } from "./port.js";
import { suggestFromCatchAll } from "./suggestions/catch-all.js";
import { suggestFromFailures } from "./suggestions/failures.js";
import { suggestFromReroutes } from "./suggestions/reroutes.js";
import { suggestFromStalls } from "./suggestions/stalls.js";
import {
  DEFAULT_THRESHOLDS,
  type Suggestion,
  type SuggestionContext,
  type Thresholds,
} from "./suggestions/suggestion.js";

/*
 * Concrete changes to the config, derived from a month of evidence. Every suggestion carries
 * the numbers and the tasks that justify it, so the owner can check before editing anything.
 */

export interface SuggestionInput {
  catchAll: CatchAllVolume;
  reroutes: readonly ReroutePair[];
  anomalies: readonly AnomalyRuleRow[];
  repeatedFailures: readonly RepeatedFailureRow[];
}

/** All four rules, strongest evidence first within each. */
export function suggest(
  input: SuggestionInput,
  context: SuggestionContext,
  thresholds: Thresholds = DEFAULT_THRESHOLDS,
): Suggestion[] {
  return [
    ...suggestFromCatchAll(input.catchAll, context.categories, thresholds.catchAllCluster),
    ...suggestFromReroutes(input.reroutes, context.categories, thresholds.reroutes),
    ...suggestFromStalls(input.anomalies, context, thresholds.selfResolvedStalls),
    ...suggestFromFailures(input.repeatedFailures, context.workers, thresholds.repeatedFailures),
  ];
}
