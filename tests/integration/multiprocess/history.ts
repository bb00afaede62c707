/**
 * What the multi-process test reads back once the run is over: the tasks' states and every
 * attempt, straight from PostgreSQL, and the verdicts on them (what ran twice, and whether a
 * kill explains it).
 */
import type pg from "pg";

export interface AttemptRow {
  taskId: number;
  number: number;
  outcome: string;
  /** When it started and ended, and why it ended so: what a failure shows of an unexplained one. */
  startedAt: number;
  endedAt: number | null;
  error: string | null;
}

/** An attempt named as `taskId/number`. */
export const attemptKey = (taskId: number, number: number) => `${taskId}/${number}`;

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
    `SELECT task_id AS "taskId", number, outcome, started_at::float8 AS "startedAt",
            ended_at::float8 AS "endedAt", error
       FROM attempts ORDER BY task_id, number`,
  );
  return rows;
}

/**
 * The attempts a process (`${hostname}:${pid}`, the start of its lease owner's id) holds a lease
 * for: read right after the process was killed, these are the attempts the kill cut (their
 * leases outlive it until the process is seen stale).
 */
export async function leasedTo(db: pg.ClientBase, hostPid: string): Promise<string[]> {
  const { rows } = await db.query<{ id: number; attempts: number }>(
    "SELECT id, attempts FROM tasks WHERE starts_with(lease_owner, $1 || ':') " +
      "AND state IN ('running', 'reviewing')",
    [hostPid],
  );
  return rows.map((row) => attemptKey(row.id, row.attempts));
}

/**
 * Attempts beyond each task's one success, split by whether a kill explains them: an attempt
 * abandoned after its process was killed holding its lease was cut by the kill. Anything else
 * (a second success, a failure, an attempt a live process lost) is unexplained.
 */
export function extraAttempts(attempts: AttemptRow[], cutByKills: ReadonlySet<string>) {
  const cut: AttemptRow[] = [];
  const unexplained: AttemptRow[] = [];
  const succeeded = new Map<number, number>();
  for (const attempt of attempts) {
    if (attempt.outcome === "succeeded") {
      const before = succeeded.get(attempt.taskId) ?? 0;
      succeeded.set(attempt.taskId, before + 1);
      if (before > 0) unexplained.push(attempt);
    } else if (
      attempt.outcome === "abandoned" &&
      cutByKills.has(attemptKey(attempt.taskId, attempt.number))
    ) {
      cut.push(attempt);
    } else unexplained.push(attempt);
  }
  return { cut, unexplained, succeeded };
}
