import type { Config } from "../config/schema.js";
import { MAX_FIELD_CHARS } from "../core/brief.js";
import { formatTaskId } from "../core/states.js";
import type { Task } from "../core/task.js";
import type { Intake } from "../intake/intake.js";

/**
 * A category's `then:` step: a new task whose input is the first one's output, filed through
 * intake (so it is routed, defaulted and checked like any request) inside the transaction
 * that completes the first, and linked both ways.
 */
export function createNextStep(
  intake: Intake,
  done: Task,
  nextCategory: string,
  config: Config,
): Task {
  const category = config.categories.find((candidate) => candidate.name === nextCategory);
  const label = `Output of ${formatTaskId(done.id)} (${done.category}):\n`;
  const output = done.output ?? "";
  const room = MAX_FIELD_CHARS - label.length - 40;
  const input =
    output.length > room
      ? `${label}${output.slice(0, room)}\n[… cut: the full output is on ${formatTaskId(done.id)}]`
      : `${label}${output}`;
  return intake.submit({
    source: `pipeline:${done.category}`,
    requester: done.requester,
    category: nextCategory,
    parentId: done.id,
    sourceRef: done.sourceRef,
    priority: done.priority,
    dedupeKey: `after:${done.id}`,
    fields: {
      objective:
        category?.defaults.objective ??
        `${nextCategory} step for ${formatTaskId(done.id)}: ${done.objective}`,
      inputs: [input],
    },
  }).task;
}
