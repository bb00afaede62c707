import type { Config } from "../config/schema.js";
import type { Clock } from "../core/clock.js";
import type { EscalationCause, QueueRepository, TaskRepository } from "../core/ports.js";
import { RESOLVED } from "../core/resolved.js";
import type { Task } from "../core/task.js";
import { errorSignature, type Failure } from "../policy/classify.js";
import { decide } from "../policy/decide.js";
import type { IncidentTracker } from "./incidents.js";
import type { Outcome } from "./outcome.js";

/** What applying the policy tells the pool's owner, inside the transaction that moved the task. */
export interface PolicyHooks {
  onEscalated?(task: Task, cause: EscalationCause): Promise<void>;
  onClarify?(task: Task, note: string): Promise<void>;
  /** After the move committed, for progress displays. */
  onChange?(task: Task): void;
}

export interface PolicyDeps {
  config: Config;
  tasks: TaskRepository<"async">;
  queue: QueueRepository<"async">;
  clock: Clock;
  random: () => number;
  incidents: IncidentTracker;
  hooks: PolicyHooks;
}

/**
 * Applies an attempt's outcome to its task: the failure policy's decision (retry, clarify,
 * escalate, or pause the worker), a requeue at shutdown, or an attempt abandoned.
 */
export class PolicyApplier {
  constructor(private readonly deps: PolicyDeps) {}

  apply(task: Task, attemptId: number, outcome: Outcome): Promise<void> {
    switch (outcome.kind) {
      case "settled":
        // (The outcome of nearly every attempt: no promise made for it.)
        return RESOLVED;
      case "failed":
        return this.fail(task, attemptId, outcome.worker, outcome.failure);
      case "shutdown":
        return this.requeueForShutdown(task, attemptId);
      case "abandoned":
        return this.abandon(attemptId, outcome.why);
    }
  }

  abandon(attemptId: number, why: string): Promise<void> {
    return abandonAttempt(this.deps.queue, attemptId, why);
  }

  /** Applies the failure policy: retry, clarify, escalate or pause the worker. */
  async fail(task: Task, attemptId: number, worker: string, failure: Failure): Promise<void> {
    const { tasks, queue, config, clock, incidents, hooks } = this.deps;
    const failureNow = incidents.escalateConnectionFailures(worker, task.id, failure);
    const current = await tasks.require(task.id);
    if (current.state !== "running" && current.state !== "reviewing") {
      await this.abandon(attemptId, `the task moved to ${current.state} while it ran`);
      return;
    }
    if (current.leaseOwner !== task.leaseOwner) {
      // Requeued while it ran (its process was seen stopped) and claimed by another run.
      await this.abandon(attemptId, "the task was requeued while it ran");
      return;
    }
    const sameLogicFailures =
      failureNow.failureClass === "logic"
        ? 1 +
          (await queue.attemptsOf(task.id)).filter(
            (a) =>
              a.failureClass === "logic" &&
              a.error !== null &&
              errorSignature(a.error) === errorSignature(failureNow.message),
          ).length
        : 0;
    const decision = decide(
      {
        failure: failureNow,
        attempt: current.attempts,
        maxAttempts: current.maxAttempts,
        sameLogicFailures,
      },
      config.policies,
      this.deps.random,
    );
    const base = {
      failureClass: failureNow.failureClass,
      lastError: failureNow.message,
      leaseOwner: null,
      leaseExpiresAt: null,
    };
    const data = {
      attempt: current.attempts,
      failureClass: failureNow.failureClass,
      error: failureNow.message,
      worker,
    };
    const moved = await tasks.write(async (): Promise<Task> => {
      await queue.finishAttempt(attemptId, "failed", {
        failureClass: failureNow.failureClass,
        error: failureNow.message,
      });
      switch (decision.action) {
        case "retry":
          return await tasks.transition(task.id, "retry_wait", {
            actor: "system",
            reason: decision.reason,
            data,
            patch: {
              ...base,
              nextRunAt: clock.now() + decision.delayMs,
              feedback: failureNow.reasons
                ? [...current.feedback, ...failureNow.reasons]
                : current.feedback,
            },
          });
        case "clarify": {
          const moved = await tasks.transition(task.id, "needs_clarification", {
            actor: "system",
            reason: decision.reason,
            data,
            patch: base,
          });
          await hooks.onClarify?.(moved, failureNow.message);
          return moved;
        }
        case "escalate": {
          const moved = await tasks.transition(task.id, "escalated", {
            actor: "system",
            reason: decision.reason,
            data,
            patch: base,
          });
          await hooks.onEscalated?.(moved, {
            reason: decision.reason,
            failureClass: failureNow.failureClass,
            worker,
            error: failureNow.message,
          });
          return moved;
        }
        case "pause": {
          // The task did nothing wrong: it goes back to wait, and the attempt is not counted.
          const moved = await tasks.transition(task.id, "queued", {
            actor: "system",
            reason: `${decision.reason}; ${worker} paused until a probe succeeds`,
            data,
            // One more attempt in the budget: numbering stays unique, the budget unburned.
            patch: { ...base, maxAttempts: current.maxAttempts + 1, nextRunAt: clock.now() },
          });
          await incidents.pause(worker, failureNow.message, moved);
          return moved;
        }
      }
    });
    // The moved row as committed: no second read on the failure path.
    hooks.onChange?.(moved);
  }

  /** Steward shut down before the run finished: the task goes back to the queue, unburned. */
  async requeueForShutdown(task: Task, attemptId: number): Promise<void> {
    const { tasks, clock } = this.deps;
    await tasks.write(async () => {
      await this.abandon(attemptId, "Steward shut down before it finished");
      const current = await tasks.require(task.id);
      const ours = current.leaseOwner === task.leaseOwner;
      if (ours && (current.state === "running" || current.state === "reviewing")) {
        await tasks.transition(task.id, "queued", {
          actor: "system",
          reason: "Steward shut down before it finished; it will run again",
          patch: {
            maxAttempts: current.maxAttempts + 1,
            leaseOwner: null,
            leaseExpiresAt: null,
            nextRunAt: clock.now(),
          },
        });
      }
    });
  }
}

/** The attempt ends without a verdict on the task: its result, if any, is not wanted. */
export function abandonAttempt(
  queue: Pick<QueueRepository<"async">, "finishAttempt">,
  attemptId: number,
  why: string,
): Promise<void> {
  return queue.finishAttempt(attemptId, "abandoned", { error: why });
}
