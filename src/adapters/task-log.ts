import type { FailureClass } from "../core/failures.js";
import { formatTaskId, type TaskState } from "../core/states.js";
import type { Task } from "../core/task.js";
import type { Engine } from "../engine/engine.js";

/** States a failure leaves a task in; entering one with a failure class is that failure. */
const FAILURE_STATES: readonly TaskState[] = ["retry_wait", "needs_clarification", "escalated"];

/** The worker of a task's category (`none` for the catch-all, which has none). */
export function workerOf(task: Task, engine: Pick<Engine, "config">): string {
  return engine.config.categories.find((c) => c.name === task.category)?.worker ?? "none";
}

/** The failure a change records, if it records one: its class and the worker that failed. */
export function failureOf(
  task: Task,
  engine: Pick<Engine, "config">,
): { failureClass: FailureClass; worker: string } | undefined {
  if (!FAILURE_STATES.includes(task.state) || task.failureClass === null) return undefined;
  return { failureClass: task.failureClass, worker: workerOf(task, engine) };
}

/** One `warn` line per worker failure, with the task id, so the log alone can tell the story. */
export function logTaskFailures(engine: Engine): () => void {
  return engine.onTaskChange((task) => {
    const failure = failureOf(task, engine);
    if (failure === undefined) return;
    engine.logger.warn(
      `${formatTaskId(task.id)} failed (${failure.failureClass}) on ${failure.worker}: now ${task.state}`,
      {
        task: formatTaskId(task.id),
        category: task.category,
        worker: failure.worker,
        class: failure.failureClass,
        attempt: task.attempts,
        error: task.lastError,
      },
    );
  });
}
