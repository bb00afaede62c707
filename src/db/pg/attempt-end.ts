import type { SQL } from "drizzle-orm";
import type { Attempt } from "../../core/attempt.js";
import type { AttemptEnd } from "../../core/ports.js";
import { asJson, placeholder } from "./prepared.js";

/**
 * An attempt's end as the columns of its row, each a placeholder named `${prefix}${column}`:
 * written alone (`finishAttempt`) or in a completion's move, where a prefix keeps them apart from
 * the task's own columns of the same name (`failureClass`).
 */
export function attemptEndColumns(prefix = ""): Record<keyof AttemptEndValues, SQL> {
  return {
    endedAt: placeholder(`${prefix}endedAt`),
    outcome: placeholder(`${prefix}outcome`),
    failureClass: placeholder(`${prefix}failureClass`),
    error: placeholder(`${prefix}error`),
    meta: placeholder(`${prefix}meta`),
  };
}

interface AttemptEndValues {
  endedAt: number;
  outcome: Attempt["outcome"];
  failureClass: string | null;
  error: string | null;
  meta: string | null;
}

/** The values of `attemptEndColumns(prefix)`, added to `values`. */
export function fillAttemptEnd(
  values: Record<string, unknown>,
  endedAt: number,
  outcome: Attempt["outcome"],
  end: AttemptEnd,
  prefix = "",
): Record<string, unknown> {
  const row: AttemptEndValues = {
    endedAt,
    outcome,
    failureClass: end.failureClass ?? null,
    error: end.error ?? null,
    meta: asJson(end.meta),
  };
  for (const [column, value] of Object.entries(row)) values[`${prefix}${column}`] = value;
  return values;
}
