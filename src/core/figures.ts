import type { TaskState } from "./states.js";
import type { TaskEvent } from "./task.js";

/** States in which a task waits on a person: for details, or for a decision. */
const WAITING_ON_A_PERSON: ReadonlySet<TaskState> = new Set(["needs_clarification", "escalated"]);

/** How long a task waited on people, from its timeline: time Steward did not take. */
export function waitedOnPeople(events: readonly TaskEvent[]): number {
  let waited = 0;
  for (const event of events) {
    if (WAITING_ON_A_PERSON.has(event.from) && event.enteredAt !== null) {
      waited += event.at - event.enteredAt;
    }
  }
  return waited;
}

/** How long a finished task took Steward: from filing to its last move, less the waits on people. */
export function timeTaken(
  task: { createdAt: number; stateSince: number },
  events: readonly TaskEvent[],
): number {
  return Math.max(0, task.stateSince - task.createdAt - waitedOnPeople(events));
}

/**
 * A task's attempts as a person counts them: a run that met its worker down (a systemic
 * failure, or a probe while it was paused) spent nothing of the budget, so it is a probe.
 */
export function attemptCounts(
  task: { attempts: number; maxAttempts: number },
  attempts: readonly { failureClass: string | null }[],
): { attempts: number; maxAttempts: number; probes: number } {
  const probes = attempts.filter((attempt) => attempt.failureClass === "systemic").length;
  return {
    attempts: task.attempts - probes,
    maxAttempts: task.maxAttempts - probes,
    probes,
  };
}

/** `Attempts (1 of 3)`, with the probes beside it: the heading of a task's attempts. */
export function attemptsHeading(
  task: { attempts: number; maxAttempts: number },
  attempts: readonly { failureClass: string | null }[],
): string {
  const counts = attemptCounts(task, attempts);
  const probes =
    counts.probes === 0
      ? ""
      : `; ${counts.probes} probe${counts.probes === 1 ? "" : "s"} while its worker was down`;
  return `Attempts (${counts.attempts} of ${counts.maxAttempts}${probes})`;
}
