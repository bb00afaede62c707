import type { Config } from "../config/schema.js";
import type { Clock } from "../core/clock.js";
import { StewardError } from "../core/errors.js";
import type { FailureClass } from "../core/failures.js";
import type { Outbox } from "../core/outbox.js";
import type { EscalationCause } from "../core/ports.js";
import { formatEscalationId } from "../core/states.js";
import type { Task } from "../core/task.js";
import { stillWaiting } from "./decisions.js";
import type { AttemptSummary, EscalationView } from "./format.js";
import { isQuiet, quietEnd } from "./quiet-hours.js";
import { groupSummary, isUrgent, rootCauseOf } from "./root-cause.js";
import type { EscalatedTask, EscalationGroup, EscalationGroups } from "./store.js";

export interface EscalationsDeps {
  config: Config;
  store: EscalationGroups<"async">;
  outbox: Outbox<"async">;
  clock: Clock;
  attemptsOf(taskId: number): Promise<AttemptSummary[]>;
  /** Runs work in one transaction. */
  transaction<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * Staging and batching: escalations wait out a window grouped by root cause, so one outage is
 * one message; systemic incidents skip the window; quiet hours hold the rest for a digest.
 */
export class Escalations {
  constructor(private readonly deps: EscalationsDeps) {}

  /** Called inside the transaction that escalated the task. */
  async stage(task: Task, cause: EscalationCause): Promise<EscalationGroup> {
    const { clock, store } = this.deps;
    const now = clock.now();
    const urgent = isUrgent(cause);
    const group = await store.stage(
      task.id,
      {
        rootCause: rootCauseOf(task, cause),
        failureClass: cause.failureClass ?? null,
        category: task.category,
        worker: cause.worker ?? null,
        summary: (count) => groupSummary(count, task.category, cause),
        urgent,
        postAfter: urgent ? now : this.postAfter(now),
        reason: cause.reason,
      },
      now,
    );
    if (group.state === "open") {
      // Already posted: the message is updated to cover the newcomer instead of a second one.
      const count = (await this.deps.store.tasksOf(group.id)).length;
      await this.deps.outbox.add(
        { kind: "escalation_updated", escalationId: group.id },
        `escalation-updated:${group.id}:${count}`,
      );
    } else if (urgent) {
      await this.post([group], false);
    }
    return group;
  }

  /** Posts every group whose window is over; returns how many messages were queued. */
  async flush(): Promise<number> {
    const due = await this.deps.store.due(this.deps.clock.now());
    if (due.length === 0) return 0;
    const window = this.deps.config.escalation.batch_window;
    // Held back by quiet hours (waited longer than the window): they arrive together as a digest.
    const held = due.filter((group) => group.postAfter - group.createdAt > window);
    const onTime = due.filter((group) => !held.includes(group));
    return this.deps.transaction(
      async () => (await this.post(onTime, false)) + (await this.post(held, held.length > 1)),
    );
  }

  async view(id: number): Promise<EscalationView> {
    const { store, config } = this.deps;
    const group = await store.get(id);
    if (group === undefined) {
      throw new StewardError("escalation_not_found", `${formatEscalationId(id)} does not exist`);
    }
    return {
      id: group.id,
      summary: group.summary,
      failureClass: (group.failureClass as FailureClass | null) ?? null,
      category: group.category,
      worker: group.worker,
      urgent: group.urgent,
      createdAt: group.createdAt,
      members: await Promise.all(
        (await store.tasksOf(id)).map(async (member) => ({
          task: member.task,
          reason: member.reason,
          attempts: await this.deps.attemptsOf(member.task.id),
          resolution: member.resolution,
        })),
      ),
      categories: config.categories.filter((c) => !c.catch_all).map((c) => c.name),
      resolved:
        group.state === "resolved" && group.resolvedAt !== null
          ? {
              resolution: group.resolution ?? "resolved",
              by: group.resolvedBy ?? "system",
              at: group.resolvedAt,
            }
          : undefined,
      probeEveryMs: config.policies.systemic.probe_every,
    };
  }

  group(id: number): Promise<EscalationGroup | undefined> {
    return this.deps.store.get(id);
  }

  /** Every task of the group, decided or not, in task order. */
  members(id: number): Promise<EscalatedTask[]> {
    return this.deps.store.tasksOf(id);
  }

  /** The tasks of the group still waiting for a decision (none when there is no such group). */
  async waitingIn(id: number, onlyTaskId?: number): Promise<EscalatedTask[]> {
    return stillWaiting(await this.deps.store.tasksOf(id), onlyTaskId);
  }

  /** The unresolved group a task is waiting in, if any. */
  openGroupOf(taskId: number): Promise<EscalationGroup | undefined> {
    return this.deps.store.openGroupOf(taskId);
  }

  /** Groups not yet decided (staged or posted), the longest waiting first. */
  async undecided(): Promise<EscalationGroup[]> {
    return (await this.deps.store.open()).sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
  }

  /**
   * A decision on a task also answers the escalation it was waiting in; the group is resolved
   * (and said to be) once none of its tasks waits. Inside the decision's transaction.
   */
  async settle(taskId: number, resolution: string, actor: string): Promise<void> {
    const { store, clock, outbox } = this.deps;
    const group = await store.openGroupOf(taskId);
    if (group === undefined) return;
    const now = clock.now();
    await store.resolveTask(group.id, taskId, resolution, now);
    if (await store.resolveIfSettled(group.id, resolution, actor, now)) {
      await outbox.add(
        { kind: "escalation_resolved", escalationId: group.id },
        `escalation-resolved:${group.id}`,
      );
    }
  }

  /** A paused worker answered again: its systemic escalations are over, each in one write. */
  async recovered(worker: string): Promise<void> {
    const { store, clock, outbox } = this.deps;
    for (const group of await store.open()) {
      if (group.failureClass !== "systemic" || group.worker !== worker) continue;
      await this.deps.transaction(async () => {
        for (const member of await store.tasksOf(group.id)) {
          if (member.resolvedAt === null)
            await store.resolveTask(group.id, member.task.id, "recovered", clock.now());
        }
        await store.resolveIfSettled(group.id, "recovered", "system", clock.now());
        await outbox.add(
          { kind: "escalation_resolved", escalationId: group.id },
          `escalation-resolved:${group.id}`,
        );
      });
    }
  }

  private async post(groups: EscalationGroup[], asDigest: boolean): Promise<number> {
    if (groups.length === 0) return 0;
    const { store, outbox, clock } = this.deps;
    await store.markPosted(
      groups.map((group) => group.id),
      clock.now(),
    );
    if (asDigest) {
      const ids = groups.map((group) => group.id);
      await outbox.add(
        { kind: "escalation_digest", escalationIds: ids },
        `escalation-digest:${ids.join(",")}`,
      );
      return 1;
    }
    for (const group of groups)
      await outbox.add({ kind: "escalation", escalationId: group.id }, `escalation:${group.id}`);
    return groups.length;
  }

  /** The end of the batching window, or of quiet hours when they hold it back further. */
  private postAfter(now: number): number {
    const { batch_window: window, quiet_hours: quiet } = this.deps.config.escalation;
    const afterWindow = now + window;
    if (quiet === undefined || !isQuiet(quiet, afterWindow)) return afterWindow;
    return Math.max(afterWindow, quietEnd(quiet, afterWindow));
  }
}
