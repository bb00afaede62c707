import { ACTIVE_STATES, type TaskState } from "../core/states.js";
import type { Stay, StayBatch } from "../monitor/history.js";
import type { DoneTask, OpenEscalation, RetryingTask, StayingTask } from "../monitor/rules.js";
import type { Problems, Read } from "../monitor/store.js";

/*
 * The status checker's rows as either store returns them, read into the checker's types: the
 * same coercion on SQLite (which keeps whatever a column is given) and PostgreSQL (whose driver
 * returns bigint as text). A row that cannot be read is described, not thrown.
 */

export type Row = Record<string, unknown>;

/** Most rows one read returns: a run stays bounded even when everything is late. */
export const DEFAULT_MAX_ROWS = 5_000;

/**
 * The first `maxRows` of `rows` (queried with a limit of one more), each coerced; a row that
 * cannot be read is reported under the read's `name` and skipped.
 */
export function boundedRead<T>(
  name: string,
  rows: Row[],
  maxRows: number,
  coerce: (row: Row) => T | string,
  problems: Problems,
): Read<T> {
  const complete = rows.length <= maxRows;
  const result: T[] = [];
  for (const row of complete ? rows : rows.slice(0, maxRows)) {
    const value = coerce(row);
    if (typeof value === "string") problems.push(`${name}: ${value}`);
    else result.push(value);
  }
  return { rows: result, complete };
}

/** Stays read with a limit of `limit`: those usable, and how far the read got. */
export function stayBatch(
  rows: Row[],
  state: TaskState,
  afterId: number,
  limit: number,
  problems: Problems,
): StayBatch {
  const stays: Stay[] = [];
  let lastEventId = afterId;
  let unusable = 0;
  for (const row of rows) {
    const id = integer(row.id);
    if (id !== undefined) lastEventId = Math.max(lastEventId, id);
    const stay = toStay(row);
    if (stay === undefined) unusable += 1;
    else stays.push(stay);
  }
  if (unusable > 0) {
    problems.push(`task_events: ${unusable} ${state} stays without a usable start or end left out`);
  }
  return { stays, lastEventId, full: rows.length >= limit };
}

/** SQLite keeps what it is given: a time column can hold text. Accept numbers only. */
function integer(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return undefined;
}

function nullableInteger(value: unknown): number | null | undefined {
  return value === null ? null : integer(value);
}

function isActiveState(value: unknown): value is TaskState {
  return typeof value === "string" && (ACTIVE_STATES as readonly string[]).includes(value);
}

export function stayingTask(row: Row): StayingTask | string {
  const id = integer(row.id);
  const stateSince = integer(row.stateSince);
  if (id === undefined) return `a task row without an id (${JSON.stringify(row)})`;
  if (!isActiveState(row.state)) return `task ${id} has an unknown state ${String(row.state)}`;
  if (stateSince === undefined) {
    return `task ${id} has no usable state_since (${String(row.stateSince)})`;
  }
  return { id, category: String(row.category), state: row.state, stateSince };
}

export function retryingTask(row: Row): RetryingTask | string {
  const task = stayingTask(row);
  if (typeof task === "string") return task;
  const attempts = integer(row.attempts);
  const maxAttempts = integer(row.maxAttempts);
  if (attempts === undefined || maxAttempts === undefined) {
    return `task ${task.id} has unusable attempts (${String(row.attempts)} of ${String(row.maxAttempts)})`;
  }
  return { ...task, attempts, maxAttempts };
}

export function doneTask(row: Row): DoneTask | string {
  const id = integer(row.id);
  const doneAt = integer(row.doneAt);
  const nextId = nullableInteger(row.nextId);
  const deliveredAt = nullableInteger(row.deliveredAt);
  if (id === undefined) return `a task row without an id (${JSON.stringify(row)})`;
  if (doneAt === undefined) return `task ${id} has no usable state_since (${String(row.doneAt)})`;
  if (nextId === undefined || deliveredAt === undefined) {
    return `task ${id} has an unreadable next_id or delivered_at`;
  }
  return { id, category: String(row.category), doneAt, nextId, deliveredAt };
}

export function openEscalation(row: Row): OpenEscalation | string {
  const id = integer(row.id);
  if (id === undefined) return `an escalation row without an id (${JSON.stringify(row)})`;
  const postedAt = nullableInteger(row.postedAt);
  const remindedAt = nullableInteger(row.remindedAt);
  if (postedAt === undefined) return `escalation ${id} has no usable posted_at`;
  // An unreadable reminder mark counts as sent: never remind twice.
  return { id, postedAt, remindedAt: remindedAt === undefined ? postedAt : remindedAt };
}

function toStay(row: Row): Stay | undefined {
  const enteredAt = integer(row.enteredAt);
  const leftAt = integer(row.leftAt);
  if (enteredAt === undefined || leftAt === undefined || leftAt < enteredAt) return undefined;
  return { category: String(row.category), duration: leftAt - enteredAt };
}
