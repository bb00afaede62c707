import { Worker } from "node:worker_threads";
import type Database from "better-sqlite3";

export interface CheckpointerOptions {
  /** How often the thread copies the log into the database file. */
  everyMs: number;
  /**
   * The connection's own automatic checkpoint, kept for when the thread falls behind: the log
   * starts over only after a checkpoint that left nothing behind, which under steady writes
   * the connection itself has to run. In pages (SQLite's default is 1,000).
   */
  fallbackPages: number;
}

/**
 * Checkpoints the write-ahead log on a thread of its own, as SQLite's WAL documentation
 * suggests for busy writers. A checkpoint syncs the log, copies its pages into the database
 * file and syncs that: done at commit, as by default, the event loop waits on both syncs
 * every thousand pages written. The writing connection keeps an automatic checkpoint at a
 * larger size, which bounds the log if the thread falls behind and starts it over.
 */
export class WalCheckpointer {
  private readonly thread: Worker;
  /**
   * Resolves once the thread has its connection, or has failed to start (reported through
   * `onError`: the connection's own fallback checkpoint then bounds the log). Starting a thread
   * takes tens of milliseconds of CPU, which requests arriving meanwhile would share.
   */
  readonly ready: Promise<void>;

  constructor(
    file: string,
    sqlite: Database.Database,
    options: CheckpointerOptions,
    onError: (message: string) => void,
  ) {
    sqlite.pragma(`wal_autocheckpoint = ${options.fallbackPages}`);
    this.thread = new Worker(new URL("./checkpoint-thread.js", import.meta.url), {
      workerData: { file, everyMs: options.everyMs },
    });
    this.ready = new Promise((resolve) => {
      // Once started, a process may end with the thread still running: it holds nothing that
      // must finish. Until then it is waited for, so that a failure to start is heard.
      const started = () => {
        this.thread.unref();
        resolve();
      };
      this.thread.on("message", (message: { ready: true } | { error: string }) => {
        if ("ready" in message) started();
        else onError(message.error);
      });
      this.thread.on("error", (error) => {
        onError(error.message);
        started();
      });
      this.thread.on("exit", started);
    });
  }

  /** Stops the thread; it closes its connection before it ends. */
  stop(): void {
    this.thread.postMessage("stop");
  }
}
