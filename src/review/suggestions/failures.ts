import type { RepeatedFailureRow } from "../port.js";
import type { Suggestion, SuggestionContext } from "./suggestion.js";
import { quote } from "./wording.js";

/** The same logic failure again and again is not bad luck: the worker is told the wrong thing. */
export function suggestFromFailures(
  failures: readonly RepeatedFailureRow[],
  workers: SuggestionContext["workers"],
  minCount: number,
): Suggestion[] {
  return failures
    .filter((row) => row.count >= minCount)
    .map((row) => {
      const instructions =
        workers[row.worker]?.kind === "llm"
          ? `workers.${row.worker}.prompt`
          : `the instructions of worker \`${row.worker}\``;
      return {
        kind: "worker_instructions",
        title: `\`${row.worker}\` keeps failing review the same way`,
        // An attempt can fail review without a message (a reviewer that gave no reasons).
        proposal:
          row.example === ""
            ? `Revise ${instructions}; the reviewer gave no reason, so read the failed outputs.`
            : `Revise ${instructions} so its output meets the check it fails: ` +
              `"${quote(row.example, 120)}".`,
        evidence: {
          summary:
            `${row.count} logic failures of \`${row.worker}\` over ${row.tasks} tasks ` +
            "with the same error",
          figures: { failures: row.count, tasks: row.tasks },
          taskIds: row.taskIds,
          quotes: row.example === "" ? [] : [quote(row.example)],
        },
      };
    });
}
