import { RESOLVED } from "./resolved.js";

/**
 * Runs jobs one at a time, in the order they were handed over: a promise chain, the whole of
 * an async mutex. A job that fails does not stop the ones after it. With nothing running or
 * waiting, a job starts at once, in the caller's turn, instead of a microtask later: on the
 * busy paths most jobs find the chain empty, and each hop is a measurable share of a task
 * (docs/performance.md).
 */
export class Serial {
  private tail: Promise<void> = RESOLVED;
  /** Jobs handed over and not yet settled. */
  private unsettled = 0;

  run<T>(job: () => T | Promise<T>): Promise<T> {
    if (this.unsettled > 0) return this.queued(this.tail.then(job));
    let answer: T | Promise<T>;
    try {
      answer = job();
    } catch (error) {
      return Promise.reject(error);
    }
    // A job that answered at once is over: nothing after it has to wait.
    return answer instanceof Promise ? this.queued(answer) : Promise.resolve(answer);
  }

  /** Resolves once every job handed over so far has settled. */
  idle(): Promise<void> {
    return this.tail;
  }

  /** A job handed over has not settled yet. */
  get busy(): boolean {
    return this.unsettled > 0;
  }

  /** Later jobs wait for `result` to settle. */
  private queued<T>(result: Promise<T>): Promise<T> {
    this.unsettled++;
    // Arrows made here, not kept in a field: tsx names a field's arrow for every instance (a
    // `Serial` is made for every asynchronous write), at a cost a write (docs/performance.md).
    this.tail = result.then(
      () => {
        this.unsettled--;
      },
      () => {
        this.unsettled--;
      },
    );
    return result;
  }
}
