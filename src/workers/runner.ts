import type { WorkerConfig } from "../config/schema.js";
import type { Brief } from "../core/brief.js";
import { createDemoRunner } from "./kinds/demo.js";
import { createHttpRunner } from "./kinds/http.js";
import { createLlmRunner } from "./kinds/llm.js";
import { createModuleRunner } from "./kinds/module.js";
import { createShellRunner } from "./kinds/shell.js";

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

/** Every kind, bounded: what a worker returns or throws is stored and shown. */
export function createWorkerRunner(name: string, config: WorkerConfig): WorkerRunner {
  const run = createUnbounded(name, config);
  return async (task, ctx) => {
    try {
      const result = await run(task, ctx);
      return { ...result, output: cut(result.output, MAX_OUTPUT_CHARS) };
    } catch (error) {
      if (error instanceof Error) error.message = cut(error.message, MAX_ERROR_CHARS);
      throw error;
    }
  };
}

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n… (${text.length - max} more characters cut)`;
}

function createUnbounded(name: string, config: WorkerConfig): WorkerRunner {
  switch (config.kind) {
    case "shell":
      return createShellRunner(name, config);
    case "http":
      return createHttpRunner(name, config);
    case "llm":
      return createLlmRunner(name, config);
    case "module":
      return createModuleRunner(name, config);
    case "demo":
      return createDemoRunner(name, config);
    default:
      return unknownKind(config);
  }
}

function unknownKind(config: never): never {
  throw new Error(`unknown worker kind ${JSON.stringify((config as { kind: unknown }).kind)}`);
}
