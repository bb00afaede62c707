import type { WorkerConfig } from "../config/schema.js";
import type { Brief } from "../core/brief.js";

// What a worker is and returns. The kinds that implement it, and the one place that picks a kind
// from the config, are in `registry.ts`: the kinds import this file, never the other way round.

/** What a worker is given: the brief plus enough about the task to log and decide. */
export interface WorkerTask {
  id: number;
  category: string;
  requester: string;
  source: string;
  attempt: number;
  brief: Brief;
}

export interface WorkerContext {
  /** Aborted by the pool (timeout, shutdown): the runner stops its work and throws. */
  signal: AbortSignal;
  env: Readonly<Record<string, string | undefined>>;
  /** Folder of the config file: relative paths in worker configs are resolved against it. */
  configDir: string;
}

/** What runs the workers: a runner per worker, and the environment and folder they run in. */
export interface WorkerSetup {
  runners: ReadonlyMap<string, WorkerRunner>;
  env: WorkerContext["env"];
  configDir: WorkerContext["configDir"];
}

export interface WorkerResult {
  output: string;
  meta?: { tokens?: number; costUsd?: number; [key: string]: unknown };
}

/**
 * Resolves with a result or throws. Classifiable failures are typed errors from
 * `core/failures.ts`; anything else is left for the policy's classify rules.
 */
export type WorkerRunner = (task: WorkerTask, ctx: WorkerContext) => Promise<WorkerResult>;

export type WorkerKind = WorkerConfig["kind"];
export type WorkerConfigOf<K extends WorkerKind> = Extract<WorkerConfig, { kind: K }>;
export type ShellWorkerConfig = WorkerConfigOf<"shell">;
export type HttpWorkerConfig = WorkerConfigOf<"http">;
export type LlmWorkerConfig = WorkerConfigOf<"llm">;
export type ModuleWorkerConfig = WorkerConfigOf<"module">;
export type DemoWorkerConfig = WorkerConfigOf<"demo">;

/** Longest output stored for a task (about 1 MB of text); beyond it, the rest is cut and said so. */
export const MAX_OUTPUT_CHARS = 1_000_000;
/** Longest failure message stored; a worker's error may quote whatever it was given. */
export const MAX_ERROR_CHARS = 4000;
