import type { Task } from "../core/task.js";
import { briefOf } from "../core/task.js";
import type { WorkerRunner, WorkerTask } from "./runner.js";

// What a worker is given: the task's brief (with what reviewers said of earlier attempts), or,
// for a reviewer worker, the output to judge.

export function workerTask(task: Task): WorkerTask {
  const brief = briefOf(task);
  const feedback = task.feedback;
  return {
    id: task.id,
    category: task.category,
    requester: task.requester,
    source: task.source,
    attempt: task.attempts,
    brief:
      feedback.length === 0
        ? brief
        : {
            ...brief,
            constraints: [
              ...brief.constraints,
              ...feedback.map((reason) => `A reviewer rejected an earlier attempt: ${reason}`),
            ],
          },
  };
}

/** What a reviewer worker is asked: judge this output against the task's criteria. */
export function reviewerTask(task: Task, output: string): WorkerTask {
  return {
    ...workerTask(task),
    brief: {
      objective: `Review the output of T-${task.id} against its acceptance criteria. Answer only JSON: {"pass": true|false, "reasons": ["…"]}`,
      inputs: [`Task objective: ${task.objective}`, `Output to review:\n${output}`],
      constraints: task.constraints,
      output_format: 'JSON {"pass": boolean, "reasons": string[]}',
      acceptance_criteria: task.acceptanceCriteria,
    },
  };
}

export function runnerOf(runners: ReadonlyMap<string, WorkerRunner>, worker: string): WorkerRunner {
  const runner = runners.get(worker);
  if (runner === undefined) throw new Error(`no runner for worker "${worker}"`);
  return runner;
}
