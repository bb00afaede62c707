import type { Task } from "../../core/task.js";
import { progressLine } from "./task-card.js";

/** What an engine command returns: the tasks its card shows. */
type Shown = Task | { task: Task } | { acted: readonly Task[] };

interface Held {
  /** The task and the state it moved to: `4:queued:0`. */
  move: string;
  line: string;
}

/**
 * Turns the engine's task changes into one short line per move. A change the console caused
 * itself (filing, answering, rerouting) is shown by that command's card, so it is recorded
 * quietly; repeated notices of the same state are dropped.
 */
export class Progress {
  private readonly seen = new Map<number, string>();
  /** The lines of the moves heard while a command runs (`quietly`), if one does. */
  private held: Held[] | undefined;

  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => number,
  ) {}

  readonly listener = (task: Task): void => {
    const key = `${task.state}:${task.attempts}`;
    if (this.seen.get(task.id) === key) return;
    this.seen.set(task.id, key);
    const line = `  ${progressLine(task, this.now())}`;
    if (this.held === undefined) this.write(line);
    else this.held.push({ move: `${task.id}:${key}`, line });
  };

  /**
   * Runs an engine command whose changes `show` shows (its card). The moves heard while it runs
   * wait until then: those it made are dropped, any other (a task the pool moved meanwhile, the
   * command being awaited) is shown after the card, as it would have been had it come later.
   */
  async quietly<T extends Shown>(work: () => Promise<T>, show: (result: T) => void): Promise<T> {
    const held: Held[] = [];
    this.held = held;
    let made = new Set<string>();
    try {
      const result = await work();
      this.held = undefined;
      made = new Set(tasksOf(result).map((task) => `${task.id}:${task.state}:${task.attempts}`));
      show(result);
      return result;
    } finally {
      this.held = undefined;
      for (const { move, line } of held) if (!made.has(move)) this.write(line);
    }
  }
}

function tasksOf(result: Shown): readonly Task[] {
  if ("acted" in result) return result.acted;
  if ("task" in result) return [result.task];
  return [result];
}
