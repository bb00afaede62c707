import { setTimeout as sleep } from "node:timers/promises";
import type { Task } from "../../core/task.js";

/** The longest `wait` (and the wait at the end of piped input) before giving up. */
export const SETTLE_TIMEOUT_MS = 30_000;
const POLL_MS = 100;

/**
 * A task still moves without a person while it is queued, running or reviewing, or waiting
 * for a retry that falls due before `horizon`. Everything else waits for someone, or is over.
 */
export function isMoving(task: Pick<Task, "state" | "nextRunAt">, horizon: number): boolean {
  if (task.state === "retry_wait") return task.nextRunAt <= horizon;
  return task.state === "queued" || task.state === "running" || task.state === "reviewing";
}

export interface SettleDeps {
  /** Ids of every task moving before `horizon` (engine time). */
  moving(horizon: number): Promise<number[]>;
  task(id: number): Promise<Pick<Task, "state" | "nextRunAt">>;
  /** Engine time, to compare with `nextRunAt`. */
  now(): number;
}

export interface SettleOptions {
  taskId?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Waits until the task (or every task) has settled; returns the ids still moving, if any. */
export async function settle(deps: SettleDeps, options: SettleOptions = {}): Promise<number[]> {
  const timeoutMs = options.timeoutMs ?? SETTLE_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = Math.max(0, deadline - Date.now());
    const still = await stillMoving(deps, options.taskId, deps.now() + left);
    if (still.length === 0 || left === 0 || options.signal?.aborted) return still;
    await sleep(Math.min(POLL_MS, left));
  }
}

async function stillMoving(
  deps: SettleDeps,
  taskId: number | undefined,
  horizon: number,
): Promise<number[]> {
  if (taskId === undefined) return deps.moving(horizon);
  return isMoving(await deps.task(taskId), horizon) ? [taskId] : [];
}
