/** Time is injected so a month can be simulated in seconds and tests run on a fixed clock. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fire` once `ms` have passed on this clock. */
  setTimer(ms: number, fire: () => void): Timer;
}

export interface Timer {
  cancel(): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fire) {
    const handle = setTimeout(fire, ms);
    return { cancel: () => clearTimeout(handle) };
  },
};

interface PendingTimer {
  at: number;
  fire: () => void;
  cancelled: boolean;
}

/** A clock that moves only when told to; its timers fire, in order, as it passes them. */
export class ManualClock implements Clock {
  private readonly timers: PendingTimer[] = [];

  constructor(private current: number = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fire: () => void): Timer {
    const timer: PendingTimer = { at: this.current + ms, fire, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  set(at: number): void {
    this.advance(at - this.current);
  }

  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const due = this.timers
        .filter((timer) => !timer.cancelled && timer.at <= target)
        .sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.current = Math.max(this.current, due.at);
      due.cancelled = true;
      due.fire();
    }
    this.timers.splice(0, this.timers.length, ...this.timers.filter((timer) => !timer.cancelled));
    this.current = target;
  }
}
