import type { CategoryConfig, Config } from "../config/schema.js";
import type { Clock } from "../core/clock.js";
import { isStewardError } from "../core/errors.js";
import { TransientError } from "../core/failures.js";
import type { QueueRepository, TaskRepository, TransitionStep } from "../core/ports.js";
import type { Task } from "../core/task.js";
import { classifyError, type Failure } from "../policy/classify.js";
import { checkOutput, parseVerdict } from "../policy/output-check.js";
import { abandonAttempt } from "./apply-policy.js";
import { reviewerTask, runnerOf } from "./briefs.js";
import type { IncidentTracker } from "./incidents.js";
import { type Outcome, RolledBack, SETTLED_OUTCOME, stoppedByPool, voided } from "./outcome.js";
import type { RunStop } from "./run-stop.js";
import type { WorkerResult, WorkerSetup } from "./runner.js";

export interface OutputCheckHooks {
  /**
   * Inside the transaction that completed a task: pipelines, delivery, notices. Returns the task
   * as it now stands when the hook changed it (a next step's link).
   */
  onDone?(task: Task): Promise<Task | undefined>;
  /** After a change committed, for progress displays. */
  onChange?(task: Task): void;
}

export interface OutputCheckDeps extends WorkerSetup {
  config: Config;
  tasks: TaskRepository<"async">;
  queue: QueueRepository<"async">;
  clock: Clock;
  leaseMs: number;
  incidents: IncidentTracker;
  hooks: OutputCheckHooks;
  /** Ends a run: resolves once `work` is written with the pool's next pass (see pass-batch.ts). */
  writeWithNextPass(taskId: number, stop: RunStop, work: () => Promise<void>): Promise<void>;
}

/**
 * The output check: a run's output against its category's criteria (`review.checks`, then an
 * optional reviewer worker) before the task may be done. Passing, it completes the task;
 * otherwise it says what the attempt came to, for the failure policy.
 */
export class OutputCheck {
  constructor(private readonly deps: OutputCheckDeps) {}

  async run(
    task: Task,
    attemptId: number,
    category: CategoryConfig,
    result: WorkerResult,
    stop: RunStop,
  ): Promise<Outcome> {
    const { tasks, env, configDir, hooks } = this.deps;
    if (voided(stop)) return SETTLED_OUTCOME;
    const reasons = checkOutput(result.output, category.review.checks);
    const reviewer = category.review.reviewer;
    const straightToDone = reasons.length === 0 && reviewer === undefined;
    // Cancelled (or otherwise moved) while the worker ran: its output is no longer wanted.
    // (Straight to done, the pass's write checks it, as late as it can be.)
    if (!straightToDone && !(await this.stillHeld(task, "running")))
      return { kind: "abandoned", why: "the task moved on while it ran" };
    const reviewing: TransitionStep = {
      to: "reviewing",
      actor: `worker:${category.worker}`,
      reason: "output ready for review",
      patch: {
        output: result.output,
        outputMeta: result.meta ?? null,
        leaseExpiresAt: this.deps.clock.now() + this.deps.leaseMs,
      },
    };
    if (reasons.length > 0) {
      await tasks.advance(task.id, [reviewing]);
      return { kind: "failed", worker: category.worker!, failure: logicFailure(reasons) };
    }
    if (reviewer === undefined) {
      // Structural checks only: through reviewing to done in one write, with the next pass.
      let done: Task | undefined;
      const written = this.deps.writeWithNextPass(task.id, stop, async () => {
        if (voided(stop)) return;
        try {
          done = await this.complete(task.id, attemptId, result, { reviewing, claimed: task });
        } catch (error) {
          // Cancelled between the run and the pass: the output is no longer wanted (the move
          // refused before it wrote anything).
          if (!isStewardError(error, "task_moved")) throw error;
          await abandonAttempt(this.deps.queue, attemptId, "the task moved on while it ran");
        }
      });
      try {
        await written;
      } catch (error) {
        // Undone with another write's failure: the task goes back to the queue (see pass-batch.ts).
        if (error instanceof RolledBack) return SETTLED_OUTCOME;
        throw error;
      }
      if (done !== undefined) hooks.onChange?.(done);
      return SETTLED_OUTCOME;
    }
    hooks.onChange?.(await tasks.advance(task.id, [reviewing]));
    let verdictReasons: string[];
    try {
      // Cancel and shutdown stop the reviewer as they stop the worker.
      const timeout = AbortSignal.timeout(this.deps.config.workers[reviewer]!.timeout);
      const review = await runnerOf(this.deps.runners, reviewer)(
        reviewerTask(task, result.output),
        { signal: AbortSignal.any([stop.signal, timeout]), env, configDir },
      );
      // It answered: whatever the verdict, the reviewer's dependency is up.
      await this.deps.incidents.answered(reviewer);
      const verdict = parseVerdict(review.output);
      if (verdict === undefined) {
        // The reviewer's failure, not the output's: no rejection for the worker to act on.
        throw new TransientError(
          `the reviewer's answer was not a verdict: ${review.output.slice(0, 200)}`,
        );
      }
      verdictReasons = verdict.pass
        ? []
        : verdict.reasons.length > 0
          ? verdict.reasons
          : ["rejected by the reviewer"];
    } catch (error) {
      // The reviewer itself failing is not the output's fault: treat it as a transient failure.
      return (
        stoppedByPool(stop) ?? {
          kind: "failed",
          worker: reviewer,
          failure: classifyError(error, this.deps.config.policies.classify),
        }
      );
    }
    if (voided(stop)) return SETTLED_OUTCOME;
    if (verdictReasons.length > 0)
      return { kind: "failed", worker: category.worker!, failure: logicFailure(verdictReasons) };
    // Cancelled while the reviewer judged, its verdict too late to stop: nothing to complete.
    if (!(await this.stillHeld(task, "reviewing")))
      return { kind: "abandoned", why: "the task moved on while it was reviewed" };
    hooks.onChange?.(await tasks.write(() => this.complete(task.id, attemptId, result)));
    return SETTLED_OUTCOME;
  }

  /**
   * Whether the task is in `state` under this run's lease: not cancelled meanwhile, nor requeued
   * (its process seen stopped) and claimed by another run.
   */
  private async stillHeld(claimed: Task, state: Task["state"]): Promise<boolean> {
    const now = await this.deps.tasks.get(claimed.id);
    return now?.state === state && now.leaseOwner === claimed.leaseOwner;
  }

  /**
   * Returns the task as committed, with whatever its `onDone` hook wrote (a next step's link).
   * `straight`: a run going straight from running to done, with the step into review and the
   * task as claimed. Still running, it differs from its row only in the lease, which done
   * clears, so the move starts from it instead of reading the row.
   */
  private async complete(
    taskId: number,
    attemptId: number,
    result: WorkerResult,
    straight?: { reviewing: TransitionStep; claimed: Task },
  ): Promise<Task> {
    const { queue, hooks } = this.deps;
    const done: TransitionStep = {
      to: "done",
      actor: "system",
      reason: "output passed review",
      patch: { leaseOwner: null, leaseExpiresAt: null, failureClass: null, lastError: null },
    };
    const completed = await queue.endAttempt(
      {
        taskId,
        steps: straight === undefined ? [done] : [straight.reviewing, done],
        stored: straight?.claimed,
      },
      { attemptId, outcome: "succeeded", meta: result.meta },
    );
    return (await hooks.onDone?.(completed)) ?? completed;
  }
}

function logicFailure(reasons: string[]): Failure {
  return {
    failureClass: "logic",
    message: reasons.join("; "),
    reasons,
    byReview: true,
    connection: false,
  };
}
