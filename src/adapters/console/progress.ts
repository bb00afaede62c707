import type { Task } from "../../core/task.js";
import { progressLine } from "./task-card.js";

/**
 * Turns the engine's task changes into one short line per move. A change the console caused
 * itself (filing, answering, rerouting) is shown by that command's card, so it is recorded
 * quietly; repeated notices of the same state are dropped.
 */
export class Progress {
  private readonly seen = new Map<number, string>();
  private quiet = false;

  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => number,
  ) {}

  readonly listener = (task: Task): void => {
    const key = `${task.state}:${task.attempts}`;
    if (this.seen.get(task.id) === key) return;
    this.seen.set(task.id, key);
    if (!this.quiet) this.write(`  ${progressLine(task, this.now())}`);
  };

  /** Runs an engine call whose changes the caller will show itself. */
  async quietly<T>(work: () => Promise<T>): Promise<T> {
    this.quiet = true;
    try {
      return await work();
    } finally {
      this.quiet = false;
    }
  }
}
