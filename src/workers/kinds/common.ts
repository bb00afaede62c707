import {
  type FailureClass,
  InputError,
  LogicError,
  SystemicError,
  TransientError,
} from "../../core/failures.js";
import type { WorkerResult } from "../runner.js";

/**
 * The pool aborts a run (timeout, shutdown) with a reason; for the policy that is a transient
 * failure carrying the reason's message ("timed out after 10m").
 */
export function abortError(signal: AbortSignal): TransientError {
  const reason: unknown = signal.reason;
  if (reason instanceof TransientError) return reason;
  return new TransientError(reasonMessage(reason));
}

function reasonMessage(reason: unknown): string {
  if (reason instanceof Error && reason.message !== "") return reason.message;
  if (typeof reason === "string" && reason !== "") return reason;
  return "aborted";
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortError(signal);
}

/** Waits `ms`, rejecting with the abort as soon as the signal fires. */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Settles like `work`, or rejects with the abort as soon as the signal fires. For work that
 * cannot be cancelled (a module's handler): we stop waiting; its late result is ignored.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** The typed error for a class named in config (exit codes). */
export function failureOfClass(failureClass: FailureClass, message: string): Error {
  switch (failureClass) {
    case "transient":
      return new TransientError(message);
    case "input":
      return new InputError(message);
    case "logic":
      return new LogicError(message);
    case "systemic":
      return new SystemicError(message);
  }
}

/** First `max` characters of trimmed text, marked when cut. */
export function excerpt(text: string, max: number): string {
  const trimmed = text.trim();
  return trimmed.length <= max ? trimmed : `${trimmed.slice(0, max)}…`;
}

/**
 * Meta from an untrusted source (a service's JSON, a module's return value): a plain object,
 * with `tokens` and `costUsd` dropped unless they are numbers, so totals stay summable.
 */
export function cleanMeta(value: unknown): WorkerResult["meta"] | undefined {
  if (!isPlainObject(value)) return undefined;
  const meta: Record<string, unknown> = { ...value };
  for (const key of ["tokens", "costUsd"]) {
    if (key in meta && !isFiniteNumber(meta[key])) delete meta[key];
  }
  return Object.keys(meta).length === 0 ? undefined : (meta as WorkerResult["meta"]);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}
