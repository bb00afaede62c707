import { describe, expect, it } from "vitest";
import { systemClock } from "../../../src/core/clock.js";
import { noRole } from "../../../src/core/roles.js";
import { openStore } from "../../../src/db/open-store.js";
import type { WorkerRunner } from "../../../src/workers/runner.js";
import { cutConnections, databaseEmptiedAfterEach, refuseConnections } from "../../postgres.js";
import { eventually } from "../../steward-process.js";
import { contentEngine } from "./content-engine.js";

/**
 * PostgreSQL restarting under a running engine (a failover, an upgrade): its connections are cut
 * mid-pass and mid-run, and for a while new ones are refused. Nothing may be lost, nothing done
 * twice but what a cut undid, the process must not crash, the engine must go on by itself, and
 * its log must say so in a few lines, not a line a poll.
 */
const { database, stops } = databaseEmptiedAfterEach();

const TASKS = 200;

interface Run {
  /** Connection errors heard (`onConnectionError`): heard, not thrown. */
  broken: string[];
  /** What the engine logged as warnings and errors. */
  logged: string[];
  /** The tasks the worker ran, a run each. */
  runs: number[];
}

/** An engine working TASKS tasks of 5 ms; `disturb` is done to the server once 10 are done. */
async function runThrough(disturb: () => Promise<void>): Promise<Run> {
  const run: Run = { broken: [], logged: [], runs: [] };
  const opened = await openStore({ kind: "postgres", url: database.url }, systemClock, {
    onConnectionError: (error) => run.broken.push(error.message),
  });
  const runner: WorkerRunner = async (task) => {
    run.runs.push(task.id);
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { output: `done ${task.id}` };
  };
  const log = (message: string) => run.logged.push(message);
  const engine = contentEngine(opened, runner, {
    leaseMs: 3_000,
    logger: { info() {}, warn: log, error: log },
  });
  for (let i = 0; i < TASKS; i++) {
    await engine.submit(
      {
        source: "console",
        requester: "test",
        category: "content",
        fields: { objective: `item ${i}`, acceptance_criteria: "anything" },
      },
      { rulesOnly: true },
    );
  }
  await engine.start({ roles: noRole() });
  stops.push(async () => {
    await engine.stop(100);
    await opened.store.close();
  });
  await eventually(async () => ((await countDone()) >= 10 ? true : undefined), "10 done", 20_000);
  await disturb();
  // Not thrown on a timeout: the assertions say what was left.
  await eventually(
    async () => ((await countDone()) === TASKS ? true : undefined),
    "every task done",
    60_000,
  ).catch(() => undefined);
  return run;
}

async function countDone(): Promise<number> {
  const { rows } = await database.client.query(
    "SELECT count(*)::int AS done FROM tasks WHERE state = 'done'",
  );
  return (rows[0] as { done: number }).done;
}

/**
 * Every task done, each by one attempt; any other attempt was one a cut undid, ended as abandoned
 * (none left running), and it is the only kind of run done twice.
 */
async function expectNothingLost(run: Run): Promise<void> {
  const { rows: states } = await database.client.query(
    "SELECT state, count(*)::int AS n FROM tasks GROUP BY state",
  );
  const { rows: attempts } = await database.client.query<{ task: number; outcome: string }>(
    "SELECT task_id AS task, outcome, error FROM attempts",
  );
  const undone = attempts.filter((attempt) => attempt.outcome !== "succeeded");
  console.log(
    `${run.broken.length} connections heard broken; ${run.runs.length} runs for ${TASKS} tasks; ` +
      `${undone.length} attempts undone; the engine logged ${run.logged.length} lines: ` +
      JSON.stringify(run.logged.slice(0, 6)),
  );
  expect(states).toEqual([{ state: "done", n: TASKS }]);
  const succeeded = attempts.filter((attempt) => attempt.outcome === "succeeded");
  expect(new Set(succeeded.map((attempt) => attempt.task)).size).toBe(TASKS);
  expect(succeeded).toHaveLength(TASKS);
  expect(undone.every((attempt) => attempt.outcome === "abandoned")).toBe(true);
  // (Fewer only when a cut fell on a COMMIT the server had done: no run, an attempt recovered.)
  expect(run.runs.length - TASKS).toBeLessThanOrEqual(undone.length);
  // Heard, not thrown: a connection broken while lent out would otherwise crash the process.
  expect(run.broken.length).toBeGreaterThan(0);
}

describe("an engine on PostgreSQL through a restart of the server", () => {
  it("loses nothing when its connections are cut, twelve times in half a second", async () => {
    const run = await runThrough(() => cutConnections(database.client, 12));
    await expectNothingLost(run);
  }, 90_000);

  it("loses nothing while the server refuses connections for 3 s, and logs each failure once", async () => {
    const run = await runThrough(() => refuseConnections(database.url, database.client, 3_000));
    await expectNothingLost(run);
    // A poll every 50 ms failed for 3 s: each kind of failure is written once (a line a minute).
    const repeated = run.logged.filter((line, index) => run.logged.indexOf(line) !== index);
    expect(repeated).toEqual([]);
  }, 90_000);
});
