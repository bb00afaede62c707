import { briefText } from "../core/brief.js";
import type { Clock } from "../core/clock.js";
import { briefOf, type Task } from "../core/task.js";
import type { Router } from "../routing/classify.js";
import {
  CHOSEN_RULES,
  CONFIRMATIONS_KEPT,
  CONFIRMATIONS_READ,
  confirmationOf,
  type Decision,
  type LearnedExample,
  type LearnedExamples,
  UNWORDED_SOURCES,
} from "../routing/learned.js";

/**
 * How often a process reads again what the router learns from (`refresh`): a forget run beside it
 * applies within this, and a read of at most `CONFIRMATIONS_READ` tasks and the decisions costs
 * tens of milliseconds (docs/performance.md). Learning is cheap; retraining keeps its own pace.
 */
export const LEARNING_REFRESH_MS = 60_000;

/**
 * Turns people's routing decisions into examples the router learns from at once, and keeps them
 * so a restart learns them again: a person's choice, or the router's placement of a person's
 * request done where it was placed (a confirmation: the task itself, done, is what is kept). A
 * webhook's or a schedule's fixed category, or a pipeline's next step, says nothing about how
 * requests are worded.
 */
export class RoutingLearning {
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
   * confirm nothing). Nothing is written: the task done is the confirmation, read back at
   * start-up (`LearnedExamples.confirmations`). What it returns teaches the router, once the
   * completion has committed.
   */
  completed(task: Task): (() => void) | undefined {
    const example = confirmationOf(task);
    return example === undefined ? undefined : () => this.router.learn(example);
  }

  /** Whether `task`, once done, is a confirmation (checked before anything waits on it). */
  confirms(task: Task): boolean {
    const { routing, category } = task;
    if (routing.category !== category || CHOSEN_RULES.includes(routing.rule)) return false;
    return !this.isCatchAll(category) && fromAPerson(task);
  }

  /**
   * What the router learns from, oldest first: people's decisions, and the confirmations it
   * trains on (the latest `CONFIRMATIONS_KEPT` outside the catch-all).
   */
  async examples(category?: string): Promise<LearnedExample[]> {
    const [decisions, confirmations] = await Promise.all([
      this.store.list(category),
      this.latestConfirmations(),
    ]);
    const learned = confirmations.filter(
      (example) => category === undefined || example.category === category,
    );
    return [...decisions, ...learned].sort((one, other) => one.at - other.at);
  }

  /**
   * The latest decisions, most recent first: the intake agent's few-shot context. Confirmations
   * aside: the agent is shown where people put requests, not where the router did.
   */
  recent(limit: number): Promise<LearnedExample[]> {
    return this.store.recent(limit);
  }

  /** Forgets a person's decision; false when there was none with that id. */
  async forget(id: number): Promise<boolean> {
    const removed = await this.store.remove(id);
    if (removed) this.router.forget(id);
    return removed;
  }

  /**
   * Forgets the confirmation of the task `taskId`, for good; false when the router does not
   * learn from one (not such a task, or forgotten already).
   */
  async unconfirm(taskId: number, actor: string): Promise<boolean> {
    const confirmations = await this.latestConfirmations();
    const confirmation = confirmations.find((example) => example.taskId === taskId);
    if (confirmation === undefined) return false;
    const { category } = confirmation;
    const at = this.clock.now();
    if (!(await this.store.unconfirm({ taskId, category, actor, at }))) return false;
    this.router.unconfirm(taskId);
    return true;
  }

  /**
   * Brings the router to what the store holds now, as a start-up would read it: what other
   * processes learned meanwhile (on a shared store, the confirmations of tasks their workers did,
   * which this process's router, the one that routes requests in `serve`, would otherwise learn
   * of only when it restarts), and what was forgotten elsewhere (`steward routing forget`, run
   * beside a running Steward). Returns how many examples it learned or unlearned.
   */
  async refresh(): Promise<number> {
    // A decision this process learns while the store is read is not forgotten for being new.
    const held = this.router.learnedDecisions();
    const [decisions, confirmations, forgotten] = await Promise.all([
      this.store.list(),
      this.latestConfirmations(),
      this.store.forgottenConfirmations(CONFIRMATIONS_READ),
    ]);
    let changed = 0;
    const kept = new Set(decisions.map(({ id }) => id));
    for (const id of held) if (!kept.has(id) && this.router.forget(id)) changed += 1;
    for (const taskId of forgotten) if (this.router.unconfirm(taskId)) changed += 1;
    for (const example of [...decisions, ...confirmations])
      if (this.router.learn(example)) changed += 1;
    return changed;
  }

  /**
   * The confirmations the router trains on as the store has them now, oldest first: the latest
   * `CONFIRMATIONS_KEPT` outside the catch-all (which the store cannot tell).
   */
  private async latestConfirmations(): Promise<LearnedExample[]> {
    const read = await this.store.confirmations(CONFIRMATIONS_READ);
    return read.filter((example) => !this.isCatchAll(example.category)).slice(-CONFIRMATIONS_KEPT);
  }

  /** Whether `category` is the catch-all, whose tasks confirm nothing (see `completed`). */
  private isCatchAll(category: string): boolean {
    return this.router.categories.some((each) => each.catch_all && each.name === category);
  }

  /** Stores the decision as an example and teaches the router; nothing for a task with no text. */
  private async record(
    task: Task,
    decision: Pick<Decision, "category" | "from" | "origin" | "actor">,
  ): Promise<void> {
    const text = briefText(briefOf(task));
    if (text.trim() === "") return;
    const at = this.clock.now();
    this.router.learn(await this.store.add({ text, ...decision, taskId: task.id, at }));
  }
}

function fromAPerson(task: Task): boolean {
  const unworded = UNWORDED_SOURCES.some((door) => task.source.startsWith(`${door}:`));
  return !unworded && task.parentId === null;
}
