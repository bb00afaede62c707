import type { EscalationCause } from "../core/ports.js";
import type { Task } from "../core/task.js";
import { errorSignature } from "../policy/classify.js";
import { escapeMarkdown } from "./format.js";

/**
 * Escalations with the same root cause become one message: same failure class, category and
 * worker, and the same error once ids, numbers and times are taken out of it.
 */
export function rootCauseOf(task: Task, cause: EscalationCause): string {
  const signature = errorSignature(cause.error ?? cause.reason);
  return [cause.failureClass ?? "none", task.category, cause.worker ?? "-", signature].join("|");
}

/** A systemic incident is posted at once; everything else waits for the batching window. */
export function isUrgent(cause: EscalationCause): boolean {
  return cause.failureClass === "systemic";
}

/** One line naming the scope: "14 tasks in `support` failed: connection refused". */
export function groupSummary(count: number, category: string, cause: EscalationCause): string {
  const what = count === 1 ? "1 task" : `${count} tasks`;
  const error = escapeMarkdown(cause.error ?? cause.reason);
  if (cause.failureClass === "systemic")
    return `${cause.worker ?? "a worker"} is down (${what} waiting in \`${category}\`): ${error}`;
  if (cause.failureClass === undefined) return `${what} in \`${category}\`: ${cause.reason}`;
  return `${what} in \`${category}\` failed (${cause.failureClass}): ${error}`;
}
