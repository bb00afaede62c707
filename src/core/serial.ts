const ignore = (): void => undefined;

/**
 * Runs jobs one at a time, in the order they were handed over: a promise chain, the whole of
 * an async mutex. A job that fails does not stop the ones after it.
 */
export class Serial {
  private tail: Promise<void> = Promise.resolve();

  run<T>(job: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(job);
    this.tail = result.then(ignore, ignore);
    return result;
  }

  /** Resolves once every job handed over so far has settled. */
  idle(): Promise<void> {
    return this.tail;
  }
}
