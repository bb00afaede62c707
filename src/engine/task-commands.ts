import { categoryNamed, maxAttemptsOf } from "../config/lookup.js";
import type { Config } from "../config/schema.js";
import type { Clock } from "../core/clock.js";
import { StewardError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import type { EscalationCause } from "../core/ports.js";
import { type Actor, formatTaskId, isTerminal } from "../core/states.js";
import type { Task } from "../core/task.js";
import {
  type DecisionStep,
  decidable,
  type EscalationOutcome,
  type EscalationRequest,
  pausedWorkerOf,
  resolutionOf,
  stepFor,
} from "../escalation/decisions.js";
import { type Person, requireOperator } from "../escalation/operators.js";
import type { FieldValues, IntakeResult } from "../intake/intake.js";
import { REROUTE_RULE } from "../routing/learned.js";
import { onCompleted } from "./pipeline.js";
import type { Parts } from "./wiring.js";

export interface TaskCommandDeps {
  config: Config;
  clock: Clock;
  parts: Parts;
  logger: Logger;
  /** A change to tell listeners of once committed (and to wake the pool for, when queued). */
  changed(task: Task): void;
}

/**
 * What people and the status checker do to tasks: an operator's decision on an escalation,
 * retry, reroute, cancel, an answer to a clarification, escalating, delivery marks. Each is one
 * transaction, with its outbox messages and the escalation it settles; the engine delegates here.
 */
export class TaskCommands {
  private readonly config: Config;
  private readonly clock: Clock;
  private readonly parts: Parts;
  private readonly logger: Logger;
  private readonly changed: (task: Task) => void;

  constructor(deps: TaskCommandDeps) {
    this.config = deps.config;
    this.clock = deps.clock;
    this.parts = deps.parts;
    this.logger = deps.logger;
    this.changed = deps.changed;
  }

  /**
   * Inside the transaction that completed `task`: returns it as it now stands when a next step
   * was linked. (Not async: nothing here waits but `onCompleted`, and a frame a task is not free.)
   */
  completed(task: Task): Promise<Task | undefined> {
    const { config, logger, changed } = this;
    const { intake, learning, store } = this.parts;
    const { outbox, tasks } = store;
    // The router learns it once the completion has committed.
    const teach = learning.confirms(task) ? learning.completed(task) : undefined;
    if (teach !== undefined) {
      tasks.afterCommit((failed) => {
        if (failed === undefined) teach();
      });
    }
    return onCompleted({ config, logger, intake, outbox, tasks, changed }, task);
  }

  /** Inside the transaction that sent a task back to its requester: the question, once. */
  async clarify(task: Task, note: string): Promise<void> {
    await this.parts.store.outbox.add(
      { kind: "clarification", taskId: task.id, missing: task.missingFields, note },
      `clarification:${task.id}:${task.updatedAt}`,
    );
  }

  /**
   * An operator's decision on an escalation: applied to every waiting task of the group, or
   * to one. Refused for non-operators; a stale button changes nothing and says why.
   */
  async actOnEscalation(
    escalationId: number,
    request: EscalationRequest,
    person: Person,
    onlyTaskId?: number,
  ): Promise<EscalationOutcome> {
    requireOperator(this.config, person);
    const group = await this.parts.escalations.group(escalationId);
    const members = decidable(
      escalationId,
      group,
      await this.parts.escalations.waitingIn(escalationId, onlyTaskId),
    );
    const pausedWorker = pausedWorkerOf(group!);
    const resolution = resolutionOf(request);
    const outcome: EscalationOutcome = {
      escalationId,
      action: request.action,
      acted: [],
      skipped: [],
      resolved: false,
    };
    await this.parts.store.tasks.write(async () => {
      for (const { task } of members) {
        const current = await this.parts.store.tasks.require(task.id);
        const step = stepFor(current, request, pausedWorker);
        if (step.kind === "skip") {
          outcome.skipped.push({ taskId: task.id, why: step.why });
          continue;
        }
        outcome.acted.push(await this.carryOut(current, step, person.id));
        // A systemic retry leaves the tasks queued behind the probe: settle them here.
        await this.parts.escalations.settle(task.id, resolution, person.id);
      }
      outcome.resolved = (await this.parts.escalations.group(escalationId))?.state === "resolved";
    });
    for (const task of outcome.acted) this.changed(task);
    return outcome;
  }

  /** One task's share of an escalation decision, as `stepFor` decided it. */
  private async carryOut(
    current: Task,
    step: Exclude<DecisionStep, { kind: "skip" }>,
    actor: Actor,
  ): Promise<Task> {
    const taskId = current.id;
    switch (step.kind) {
      case "cancel":
        return this.cancel(taskId, actor, `cancelled by ${actor} from its escalation`);
      case "probe":
        await this.parts.pool.probeNow(step.worker);
        return current;
      case "retry":
        return this.retry(taskId, actor);
      case "reroute":
        return this.reroute(taskId, step.category, actor);
      case "edit":
        return (await this.answer(taskId, { text: step.text, fields: step.fields }, actor)).task;
    }
  }

  /** Escalates a task from wherever it is (the status checker, an operator), staged like any other. */
  async escalate(taskId: number, cause: EscalationCause, actor: Actor = "system"): Promise<Task> {
    const escalated = await this.parts.store.tasks.write(async () => {
      const moved = await this.parts.store.tasks.transition(taskId, "escalated", {
        actor,
        reason: cause.reason,
        data: { failureClass: cause.failureClass, worker: cause.worker },
        patch: {
          leaseOwner: null,
          leaseExpiresAt: null,
          failureClass: cause.failureClass ?? null,
          lastError: cause.error ?? null,
        },
      });
      await this.escalated(moved, cause);
      return moved;
    });
    this.parts.pool.abort(taskId);
    this.changed(escalated);
    return escalated;
  }

  /** The requester's answer to a clarification, or an operator's edit of the brief. */
  async answer(
    taskId: number,
    answer: { text?: string; fields?: FieldValues },
    actor: Actor,
  ): Promise<IntakeResult> {
    const result = await this.parts.store.tasks.write(async () => {
      // Settled first: an answer that escalates again opens an escalation nobody has decided.
      await this.parts.escalations.settle(taskId, "edited", actor);
      return this.parts.intake.resume(taskId, answer, actor);
    });
    this.changed(result.task);
    return result;
  }

  async cancel(taskId: number, actor: Actor, reason = "cancelled"): Promise<Task> {
    const task = await this.parts.store.tasks.require(taskId);
    if (isTerminal(task.state)) {
      throw new StewardError(
        "illegal_transition",
        `${formatTaskId(taskId)} is already ${task.state}`,
      );
    }
    const cancelled = await this.parts.store.tasks.write(async () => {
      const moved = await this.parts.store.tasks.transition(taskId, "cancelled", {
        actor,
        reason,
        data: { action: "cancel" },
        patch: { leaseOwner: null, leaseExpiresAt: null },
      });
      await this.parts.store.outbox.add(
        { kind: "task_cancelled", taskId, actor, reason },
        `cancelled:${taskId}`,
      );
      await this.parts.escalations.settle(taskId, "cancelled", actor);
      return moved;
    });
    this.parts.pool.abort(taskId);
    this.changed(cancelled);
    return cancelled;
  }

  /** An operator's "try again": a fresh set of attempts from the queue. */
  async retry(taskId: number, actor: Actor): Promise<Task> {
    const task = await this.parts.store.tasks.require(taskId);
    const category = categoryNamed(this.config, task.category);
    if (category.catch_all) {
      throw new StewardError(
        "illegal_transition",
        `${formatTaskId(taskId)} fits no category: reroute it instead`,
      );
    }
    const retried = await this.parts.store.tasks.write(async () => {
      await this.parts.escalations.settle(taskId, "retried", actor);
      return this.parts.store.tasks.transition(taskId, "queued", {
        actor,
        reason: `retried by ${actor}`,
        data: { action: "retry" },
        patch: {
          maxAttempts: task.attempts + maxAttemptsOf(this.config, category),
          nextRunAt: this.clock.now(),
        },
      });
    });
    this.changed(retried);
    return retried;
  }

  /** An operator's "this belongs elsewhere": the new category is recorded as the deciding rule. */
  async reroute(taskId: number, categoryName: string, actor: Actor): Promise<Task> {
    const task = await this.parts.store.tasks.require(taskId);
    const category = categoryNamed(this.config, categoryName);
    if (category.catch_all) {
      throw new StewardError(
        "unknown_category",
        `reroute to a category that has a worker, not ${categoryName}`,
      );
    }
    const rerouted = await this.parts.store.tasks.write(async () => {
      await this.parts.escalations.settle(taskId, `rerouted:${category.name}`, actor);
      return this.parts.intake.reroute(
        taskId,
        category,
        {
          category: category.name,
          classifier: task.routing.classifier,
          rule: REROUTE_RULE,
          score: 1,
          matched: [],
          explanation: `rerouted by ${actor} (was ${task.category}, rule ${task.routing.rule})`,
        },
        actor,
        { action: "reroute", from: task.category, to: category.name },
      );
    });
    if (task.category !== category.name)
      await this.parts.learning.rerouted(task, category.name, actor);
    this.changed(rerouted);
    return rerouted;
  }

  /** The output reached its destination: what the status checker's delivery rule looks for. */
  markDelivered(taskId: number): Promise<void> {
    return this.parts.store.tasks.update(taskId, { deliveredAt: this.clock.now() });
  }

  /** The output pump put a task's output where its brief said (`where`, in words). */
  async outputDelivered(taskId: number, where: string): Promise<void> {
    await this.parts.store.tasks.write(async () => {
      await this.markDelivered(taskId);
      await this.parts.store.outbox.add(
        { kind: "output_delivery", taskId, delivered: true, detail: where },
        `output:${taskId}`,
      );
    });
  }

  /**
   * The brief named a destination Steward refuses (outside delivery.dir, a URL not allowed, a
   * redirect): no retry can fix that, so the requester hears why; the output stays on the task.
   */
  async outputRefused(taskId: number, reason: string): Promise<void> {
    await this.parts.store.outbox.add(
      { kind: "output_delivery", taskId, delivered: false, detail: reason },
      `output:${taskId}`,
    );
  }

  /** Inside the transaction that escalated the task: staged, and its requester told. */
  async escalated(task: Task, cause: EscalationCause): Promise<void> {
    await this.parts.escalations.stage(task, cause);
    await this.parts.store.outbox.add(
      { kind: "task_escalated", taskId: task.id, reason: cause.reason },
      `escalated:${task.id}:${task.updatedAt}`,
    );
  }
}
