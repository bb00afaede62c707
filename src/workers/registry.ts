import type { WorkerConfig } from "../config/schema.js";
import { createDemoRunner } from "./kinds/demo.js";
import { createHttpRunner } from "./kinds/http.js";
import { createLlmRunner } from "./kinds/llm.js";
import { createModuleRunner } from "./kinds/module.js";
import { createShellRunner } from "./kinds/shell.js";
import { MAX_ERROR_CHARS, MAX_OUTPUT_CHARS, type WorkerRunner } from "./runner.js";

// The registry of worker kinds: a new kind is a file under `kinds/` and a case here.

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
