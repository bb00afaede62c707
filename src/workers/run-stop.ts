/**
 * A run's stop switch: why the run was stopped, and an AbortSignal for whoever needs one (a
 * worker handing it to fetch or to a child process). The signal is made on first ask, already
 * aborted if the run was stopped before: on Node 20 making one costs about 4 µs, a share of the
 * pool's own work on a task whose worker never looks at it (docs/performance.md). The pool's own
 * checks read `reason`, which makes nothing.
 */
export class RunStop {
  private stoppedFor: Error | undefined;
  private controller: AbortController | undefined;

  /** Why the run was stopped; undefined while it may go on. */
  get reason(): Error | undefined {
    return this.stoppedFor;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.stoppedFor !== undefined) this.controller.abort(this.stoppedFor);
    }
    return this.controller.signal;
  }

  /** Stops the run; the first reason stands, as an AbortController's does. */
  abort(reason: Error): void {
    if (this.stoppedFor !== undefined) return;
    this.stoppedFor = reason;
    this.controller?.abort(reason);
  }
}
