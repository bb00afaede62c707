import { briefText } from "../core/brief.js";
import type { Clock } from "../core/clock.js";
import { briefOf, type Task } from "../core/task.js";
import { REROUTE_RULE } from "../intake/intake.js";
import type { Router } from "../routing/classify.js";
import {
  CONFIRMATIONS_KEPT,
  type LearnedExample,
  type LearnedExamples,
} from "../routing/learned.js";

/**
 * Turns people's routing decisions into examples the router learns from at once, and keeps them
 * so a restart learns them again: a person's choice, or the router's placement of a person's
 * request done where it was placed. A webhook's or a schedule's fixed category, or a pipeline's
 * next step, says nothing about how requests are worded.
 */
export class RoutingLearning {
  /** Confirmations recorded by this process: the store is pruned every `PRUNE_EVERY`. */
  private confirmed = 0;

  constructor(
    private readonly store: LearnedExamples<"async">,
    private readonly router: Router,
    private readonly clock: Clock,
  ) {}

  /** An operator moved `task` (as it was before the move) to `category`. */
  rerouted(task: Task, category: string, actor: string): Promise<void> {
    return this.record(task, { category, from: task.category, origin: "reroute", actor });
  }

  /** Whether `task` was filed in a category its requester named (asked first, as `confirms`). */
  choseCategory(task: Task): boolean {
    return task.routing.rule === "explicit" && fromAPerson(task);
  }

  /** A request filed with a category its requester named (`choseCategory`). */
  async filedExplicitly(task: Task): Promise<void> {
    await this.record(task, {
      category: task.category,
      from: null,
      origin: "explicit",
      actor: task.requester,
    });
  }

  /**
   * `task` is done where the router placed it: a confirmation, this business's own request with
   * its category. Learned from reroutes alone, a business's names lean towards the categories of
   * the requests the router got wrong (docs/performance.md, session 14). A category a person chose
   * was learned when they chose it; the catch-all's tasks confirm nothing (a person may have done
   * the job there whatever it was). For a task `confirms` accepts (asked first: most completions
   * confirm nothing, and ask nothing more). Stored in the completion's write, so undone with it;
   * what it returns teaches the router, once that write has committed.
   */
  async completed(task: Task): Promise<(() => void) | undefined> {
    const { category } = task;
    const storing = this.stored(task, {
      category,
      from: null,
      origin: "confirmation",
      actor: "steward",
    });
    if (storing === undefined) return undefined;
    const example = await storing;
    // The store keeps what the router trains on, not every task ever done.
    if (++this.confirmed % PRUNE_EVERY === 0) {
      await this.store.pruneConfirmations(CONFIRMATIONS_KEPT);
    }
    return () => this.router.learn(example);
  }

  /** Whether `task`, once done, is a confirmation (checked before anything waits on it). */
  confirms(task: Task): boolean {
    const { routing, category } = task;
    if (routing.category !== category || CHOSEN_BY_A_PERSON.has(routing.rule)) return false;
    const catchAll = this.router.categories.some(
      (each) => each.catch_all && each.name === category,
    );
    return !catchAll && fromAPerson(task);
  }

  examples(category?: string): Promise<LearnedExample[]> {
    return this.store.list(category);
  }

  /**
   * The latest decisions, most recent first: the intake agent's few-shot context. Confirmations
   * aside: the agent is shown where people put requests, not where the router did.
   */
  recent(limit: number): Promise<LearnedExample[]> {
    return this.store.recent(limit);
  }

  async forget(id: number): Promise<boolean> {
    const removed = await this.store.remove(id);
    if (removed) this.router.forget(id);
    return removed;
  }

  private async record(
    task: Task,
    decision: Pick<LearnedExample, "category" | "from" | "origin" | "actor">,
  ): Promise<void> {
    const storing = this.stored(task, decision);
    if (storing !== undefined) this.router.learn(await storing);
  }

  /** The decision stored as an example; undefined, storing nothing, for a task with no text. */
  private stored(
    task: Task,
    decision: Pick<LearnedExample, "category" | "from" | "origin" | "actor">,
  ): Promise<LearnedExample> | undefined {
    const text = briefText(briefOf(task));
    if (text.trim() === "") return undefined;
    return this.store.add({ text, ...decision, taskId: task.id, at: this.clock.now() });
  }
}

/**
 * A prune now and then is enough: at most this many confirmations over the kept ones. Each prune
 * reads past the kept ones to find where to cut, whatever it deletes: rarely, it costs a task
 * little (docs/performance.md).
 */
export const PRUNE_EVERY = 500;

/** How a person chose a task's category: learned when they chose it, not again when it is done. */
const CHOSEN_BY_A_PERSON = new Set(["explicit", REROUTE_RULE]);

function fromAPerson(task: Task): boolean {
  return !/^(webhook|schedule|pipeline):/.test(task.source) && task.parentId === null;
}
