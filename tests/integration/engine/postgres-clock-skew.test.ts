import { describe, expect, it } from "vitest";
import { type Clock, systemClock } from "../../../src/core/clock.js";
import { noRole } from "../../../src/core/roles.js";
import { type OpenStoreOptions, openStore } from "../../../src/db/open-store.js";
import type { WorkerRunner } from "../../../src/workers/runner.js";
import { databaseEmptiedAfterEach } from "../../postgres.js";
import { eventually } from "../../steward-process.js";
import { contentEngine } from "./content-engine.js";

/**
 * Processes on hosts whose clocks disagree, on one PostgreSQL database: a worker host 30 s
 * behind (no NTP on the GPU box) must not look stopped to the others, nor have its running task
 * taken from it and run a second time.
 */
const { database, stops } = databaseEmptiedAfterEach();

const SKEW_MS = 30_000;

/** This host's clock, `skewMs` off the true time. */
function skewed(skewMs: number): Clock {
  return { now: () => Date.now() + skewMs, setTimer: systemClock.setTimer };
}

/** An engine on the database with `clock`, running `runner` as the content worker. */
async function engineOn(clock: Clock, runner: WorkerRunner, options: OpenStoreOptions) {
  const opened = await openStore({ kind: "postgres", url: database.url }, clock, options);
  const engine = contentEngine(opened, runner);
  stops.push(async () => {
    await engine.stop(100);
    await opened.store.close();
  });
  return { engine, opened };
}

/**
 * A task run by a process whose clock is 30 s behind, with another process polling beside it
 * for a second and a half: the task ids the other one ran.
 */
async function runBesideLaggingHost(options: OpenStoreOptions): Promise<number[]> {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const lagging = await engineOn(
    skewed(-SKEW_MS),
    async () => {
      await released;
      return { output: "written on the lagging host" };
    },
    options,
  );
  const { task } = await lagging.engine.submit(
    {
      source: "console",
      requester: "test",
      category: "content",
      fields: { objective: "Draft the launch post", acceptance_criteria: "anything" },
    },
    { rulesOnly: true },
  );
  await lagging.engine.start({ roles: noRole() });
  await eventually(
    async () => ((await lagging.engine.task(task.id)).state === "running" ? true : undefined),
    "the lagging host runs the task",
  );
  const ranBeside: number[] = [];
  const beside = await engineOn(
    systemClock,
    async (running) => {
      ranBeside.push(running.id);
      return { output: "written beside" };
    },
    options,
  );
  await beside.engine.start({ roles: noRole() });
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  release();
  await eventually(
    async () => ((await lagging.engine.task(task.id)).state === "done" ? true : undefined),
    "the task done",
  );
  return ranBeside;
}

describe("hosts whose clocks disagree, on PostgreSQL", () => {
  it("takes the server's time: a host 30 s behind keeps its task, run once", async () => {
    expect(await runBesideLaggingHost({ time: "server" })).toEqual([]);
  });

  it("on each host's own clock, the lagging host looks stopped and its task runs twice", async () => {
    // What the server's time prevents: the other process takes the task while it still runs.
    expect(await runBesideLaggingHost({})).toHaveLength(1);
  });

  it("measures how far each host is off the server, and writes the server's time", async () => {
    for (const skew of [-SKEW_MS, 0, SKEW_MS]) {
      const { opened } = await engineOn(skewed(skew), async () => ({ output: "" }), {
        time: "server",
      });
      // Server and test share a host here: the offset undoes the skew, to within a round trip.
      expect(Math.abs(opened.clockOffsetMs! + skew)).toBeLessThan(250);
      expect(Math.abs(opened.clock.now() - Date.now())).toBeLessThan(250);
    }
  });
});
