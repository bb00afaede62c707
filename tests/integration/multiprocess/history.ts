/**
 * What the multi-process test reads back once the run is over: the tasks' states and every
 * attempt, straight from PostgreSQL, and the verdicts on them (what ran twice, and whether a
 * kill explains it).
 */
import type pg from "pg";
import type { Kill } from "./supervisor.js";

export interface AttemptRow {
  taskId: number;
  number: number;
  owner: string;
  outcome: string;
}

export async function stateCounts(db: pg.ClientBase): Promise<Record<string, number>> {
  const { rows } = await db.query<{ state: string; n: number }>(
    "SELECT state, count(*)::int AS n FROM tasks GROUP BY state ORDER BY state",
  );
  return Object.fromEntries(rows.map((row) => [row.state, row.n]));
}

export async function doneCount(db: pg.ClientBase): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM tasks WHERE state = 'done'",
  );
  return rows[0]?.n ?? 0;
}

export async function allAttempts(db: pg.ClientBase): Promise<AttemptRow[]> {
  const { rows } = await db.query<AttemptRow>(
    `SELECT task_id AS "taskId", number, owner, outcome FROM attempts ORDER BY task_id, number`,
  );
  return rows;
}

/** Tasks the server holds for `owner` (running under its lease) right now. */
export async function heldBy(db: pg.ClientBase, owner: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM tasks WHERE lease_owner = $1 AND state IN ('running', 'reviewing')",
    [owner],
  );
  return rows[0]?.n ?? 0;
}

/**
 * Attempts beyond each task's one success, split by whether a kill explains them: an attempt
 * that did not succeed, written by a process the test killed, had its lease cut by the kill.
 * Anything else (a second success, a failure, an attempt of a live process) is unexplained.
 */
export function extraAttempts(attempts: AttemptRow[], kills: Kill[]) {
  const killed = new Set(kills.map((kill) => kill.owner));
  const cut: AttemptRow[] = [];
  const unexplained: AttemptRow[] = [];
  const succeeded = new Map<number, number>();
  for (const attempt of attempts) {
    if (attempt.outcome === "succeeded") {
      const before = succeeded.get(attempt.taskId) ?? 0;
      succeeded.set(attempt.taskId, before + 1);
      if (before > 0) unexplained.push(attempt);
    } else if (killed.has(attempt.owner) && attempt.outcome === "abandoned") cut.push(attempt);
    else unexplained.push(attempt);
  }
  return { cut, unexplained, succeeded };
}
