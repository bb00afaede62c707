import { formatDuration } from "../config/duration.js";
import type { CategoryConfig, Config } from "../config/schema.js";
import type { Task } from "../core/task.js";
import { classifyError } from "../policy/classify.js";
import { runnerOf, workerTask } from "./briefs.js";
import type { Deadlines } from "./deadlines.js";
import type { IncidentTracker } from "./incidents.js";
import { type Outcome, stoppedByPool } from "./outcome.js";
import type { OutputCheck } from "./output-check.js";
import type { RunStop } from "./run-stop.js";
import type { WorkerResult, WorkerSetup } from "./runner.js";

export interface AttemptDeps extends WorkerSetup {
  config: Config;
  /** The runs' time limits, on the engine's clock (a simulated month hangs a worker for hours). */
  deadlines: Deadlines;
  incidents: IncidentTracker;
  outputCheck: OutputCheck;
  /** Applies what the attempt came to (see apply-policy.ts). */
  settle(task: Task, attemptId: number, outcome: Outcome): Promise<void>;
}

/**
 * One attempt at a claimed task: its worker under the deadline, then the output check. What it
 * came to is an `Outcome`, handed to `settle`; only a passing output is written on the way (by
 * the output check, which completes the task).
 */
export class AttemptRunner {
  constructor(private readonly deps: AttemptDeps) {}

  /** (One async function for the worker and the settling: a frame per task is not free.) */
  async run(
    task: Task,
    attemptId: number,
    category: CategoryConfig,
    worker: string,
    stop: RunStop,
  ): Promise<void> {
    const { config, env, configDir, deadlines } = this.deps;
    const { timeout } = config.workers[worker]!;
    const deadline = deadlines.watch(timeout, () =>
      stop.abort(new Error(`timed out after ${formatDuration(timeout)}`)),
    );
    let result: WorkerResult;
    let outcome: Outcome | undefined;
    try {
      // The signal through a getter: made only if the worker asks for it (see RunStop).
      result = await runnerOf(this.deps.runners, worker)(workerTask(task), {
        get signal() {
          return stop.signal;
        },
        env,
        configDir,
      });
    } catch (error) {
      outcome = stoppedByPool(stop) ?? {
        kind: "failed",
        worker,
        failure: classifyError(error, config.policies.classify),
      };
    } finally {
      deadlines.release(deadline);
    }
    if (outcome === undefined) {
      await this.deps.incidents.answered(worker);
      outcome = await this.deps.outputCheck.run(task, attemptId, category, result!, stop);
    }
    await this.deps.settle(task, attemptId, outcome);
  }
}
