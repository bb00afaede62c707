/**
 * Module worker: a JavaScript/TypeScript file in the operator's own code, imported once per
 * runner and called per task. It may throw the typed errors from `core/failures.ts`.
 *
 *   export default async function (brief, ctx) { return "output" }  // or { output, meta }
 */
import { access } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Brief } from "../../core/brief.js";
import { coerceError } from "../../core/errors.js";
import { LogicError, SystemicError } from "../../core/failures.js";
import type {
  ModuleWorkerConfig,
  WorkerContext,
  WorkerResult,
  WorkerRunner,
  WorkerTask,
} from "../runner.js";
import { cleanMeta, isPlainObject, raceAbort, throwIfAborted } from "./common.js";

export type ModuleOutput = string | { output: string; meta?: Record<string, unknown> };

/** The runner's context plus the task, for handlers that want its id or attempt. */
export interface ModuleHandlerContext extends WorkerContext {
  task: WorkerTask;
}

export type ModuleHandler = (
  brief: Brief,
  ctx: ModuleHandlerContext,
) => ModuleOutput | Promise<ModuleOutput>;

export function createModuleRunner(name: string, config: ModuleWorkerConfig): WorkerRunner {
  const label = `module worker "${name}"`;
  // Keyed by resolved file, in case two contexts name different config folders.
  const handlers = new Map<string, Promise<ModuleHandler>>();

  const handlerFor = (file: string): Promise<ModuleHandler> => {
    let handler = handlers.get(file);
    if (handler === undefined) {
      handler = loadHandler(label, file, config.export);
      // A failed load is not cached: the operator may fix the file without a restart.
      handler.catch(() => handlers.delete(file));
      handlers.set(file, handler);
    }
    return handler;
  };

  return async (task, ctx) => {
    throwIfAborted(ctx.signal);
    const file = path.resolve(ctx.configDir, config.path);
    const handler = await raceAbort(handlerFor(file), ctx.signal);
    // Handlers may ignore the signal; on abort we stop waiting rather than hang the pool.
    const work = Promise.resolve().then(() => handler(task.brief, { ...ctx, task }));
    return toResult(label, await raceAbort(work, ctx.signal));
  };
}

async function loadHandler(
  label: string,
  file: string,
  exportName: string,
): Promise<ModuleHandler> {
  try {
    await access(file);
  } catch {
    throw new SystemicError(`${label}: module file not found: ${file}`);
  }
  let loaded: Record<string, unknown>;
  try {
    if (/\.[cm]?ts$/.test(file)) await readTypeScript();
    loaded = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new SystemicError(`${label}: could not load ${file}: ${coerceError(error).message}`);
  }
  const handler = loaded[exportName];
  if (typeof handler !== "function") {
    const exports = Object.keys(loaded).join(", ") || "none";
    throw new SystemicError(
      `${label}: ${file} has no function export "${exportName}" (exports: ${exports})`,
    );
  }
  return handler as ModuleHandler;
}

/** A string, or `{ output: string, meta? }`; anything else is a bug in the handler's output. */
function toResult(label: string, value: unknown): WorkerResult {
  if (typeof value === "string") return { output: value };
  if (isPlainObject(value) && typeof value.output === "string") {
    const meta = cleanMeta(value.meta);
    return meta === undefined ? { output: value.output } : { output: value.output, meta };
  }
  const got = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
  throw new LogicError(`${label} returned ${got}; expected a string or { output, meta }`);
}

let typescript: Promise<void> | undefined;

/**
 * Compiled, Steward runs on Node's own loader, which reads no TypeScript: a `.ts` module worker
 * brings tsx in, once, for itself. From the sources (tsx already loaded) there is nothing to do.
 */
function readTypeScript(): Promise<void> {
  if (!import.meta.url.endsWith(".js")) return Promise.resolve();
  typescript ??= import("tsx/esm/api").then(({ register }) => {
    register();
  });
  return typescript;
}
