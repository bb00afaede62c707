import type { Clock, Timer } from "../core/clock.js";

/** A run's time limit: `expire` is called once the clock passes `at`. */
export interface Deadline {
  readonly at: number;
  readonly expire: () => void;
}

/**
 * The time limits of the runs in flight, on one timer armed for the soonest. A timer per run (set
 * when it starts, cleared when it ends) costs a timer and closures each run (docs/performance.md);
 * here a run that ends before its limit costs a set insert and delete. The timer is not cleared
 * when the last run ends: it fires, finds nothing due, and is not re-armed.
 */
export class Deadlines {
  private readonly watched = new Set<Deadline>();
  private timer: Timer | undefined;
  private timerAt = Number.POSITIVE_INFINITY;

  constructor(private readonly clock: Clock) {}

  /** Calls `expire` once `ms` have passed on the clock, unless `release`d before. */
  watch(ms: number, expire: () => void): Deadline {
    const deadline: Deadline = { at: this.clock.now() + ms, expire };
    this.watched.add(deadline);
    if (deadline.at < this.timerAt) this.arm(deadline.at);
    return deadline;
  }

  release(deadline: Deadline): void {
    this.watched.delete(deadline);
  }

  /** Forgets every deadline and cancels the timer (the pool stopped, its runs over). */
  stop(): void {
    this.watched.clear();
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private arm(at: number): void {
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.clock.setTimer(Math.max(0, at - this.clock.now()), () => this.sweep());
  }

  private sweep(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    let soonest = Number.POSITIVE_INFINITY;
    for (const deadline of this.watched) {
      if (deadline.at <= now) {
        this.watched.delete(deadline);
        deadline.expire();
      } else if (deadline.at < soonest) soonest = deadline.at;
    }
    // An expired run's `expire` may have watched a new deadline (and armed the timer for it).
    if (soonest < this.timerAt) this.arm(soonest);
  }
}
