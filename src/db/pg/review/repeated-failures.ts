import { sql } from "drizzle-orm";
import { errorSignature } from "../../../policy/classify.js";
import type { ReviewPeriod, ReviewQueries } from "../../../review/port.js";
import { type RepeatedFailureText, repeatedFailuresOf } from "../../review/rows.js";
import type { Transactions } from "../transactions.js";
import { rowsOf } from "./statements.js";

/**
 * The same logic failure of one worker again and again in the period. The signature (the
 * normalisation of escalation root causes) is JavaScript, so the database groups by worker and
 * error, and the groups of one signature are summed here, once per distinct error.
 */
export function repeatedFailureQueries(
  transactions: Transactions,
): Pick<ReviewQueries<"async">, "repeatedLogicFailures"> {
  return {
    repeatedLogicFailures: async (period, minCount) =>
      repeatedFailuresOf(
        bySignature(await rowsOf<FailedError>(transactions, failed(period)), minCount),
      ),
  };
}

interface FailedError {
  worker: string;
  error: string | null;
  count: number;
  taskIds: string;
}

const failed = (period: ReviewPeriod) => sql`
  SELECT worker, error, count(*)::int AS count, string_agg(task_id::text, ',') AS "taskIds"
  FROM attempts
  WHERE ended_at >= ${period.start} AND ended_at < ${period.end}
    AND outcome = 'failed' AND failure_class = 'logic'
  GROUP BY 1, 2`;

/**
 * As SQLite's statement: by worker and signature, at least `minCount`, most first; the example
 * is the least error (byte order), '' when none was written.
 */
function bySignature(rows: FailedError[], minCount: number): RepeatedFailureText[] {
  const signatures = new Map<string | null, string>();
  const groups = new Map<string, RepeatedFailureText & { errors: (string | null)[] }>();
  for (const { worker, error, count, taskIds } of rows) {
    let signature = signatures.get(error);
    if (signature === undefined) {
      signature = errorSignature(error ?? "");
      signatures.set(error, signature);
    }
    const key = JSON.stringify([worker, signature]);
    const group = groups.get(key);
    if (group === undefined) {
      groups.set(key, { worker, signature, count, example: "", taskIds, errors: [error] });
    } else {
      group.count += count;
      group.taskIds += `,${taskIds}`;
      group.errors.push(error);
    }
  }
  return [...groups.values()]
    .filter((group) => group.count >= minCount)
    .map(({ errors, ...group }) => ({ ...group, example: least(errors) ?? "" }))
    .sort(
      (a, b) =>
        b.count - a.count || byBytes(a.worker, b.worker) || byBytes(a.signature, b.signature),
    );
}

function least(errors: (string | null)[]): string | undefined {
  return errors.filter((error) => error !== null).sort(byBytes)[0];
}

/** Ordered as SQLite orders text: byte by byte of UTF-8. */
function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
