import type pg from "pg";

/**
 * What `bench/scale.ts` asks of a queue it measures: the same steps for every system, so the
 * harness (databases, processes, timing, the table) is written once and a system is only these.
 */
export interface ScaleSystem {
  /** As it appears in the table and in `--system`. */
  readonly name: string;
  /**
   * In the bench's own process, on a fresh empty database: installs the system's schema and
   * queues `n` jobs, each awaiting `taskMs` when run. Not timed.
   */
  prepare(url: string, n: number, taskMs: number): Promise<void>;
  /**
   * In each worker process, once every process is loaded and told to go: works the queue at
   * `concurrency` jobs at once, calling `ran` as each job's task returns, until stopped.
   */
  work(url: string, concurrency: number, ran: () => void): Promise<ScaleWorker>;
  /**
   * In the bench's own process, on its one connection to the database: how many queued jobs
   * are not done yet (polled until none).
   */
  remaining(db: pg.ClientBase): Promise<number>;
}

/** A worker process's hold on the queue. */
export interface ScaleWorker {
  /** Lets the jobs in hand finish, then lets go of the database. */
  stop(): Promise<void>;
}
