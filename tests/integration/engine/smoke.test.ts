import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import type { Task } from "../../../src/core/task.js";
import type { DatabaseOptions, OpenDatabase } from "../../../src/db/connection.js";
import { Engine } from "../../../src/engine/engine.js";
import type { WorkerRunner } from "../../../src/workers/runner.js";
import { testDatabase } from "../../helpers.js";

describe("engine smoke", () => {
  it("a complete request runs through the demo worker to done", async () => {
    const config = loadConfigFile("config/steward.yaml", {});
    config.workers["demo-writer"] = { kind: "demo", delay: 0, timeout: 5000 };
    const engine = new Engine({
      config,
      configDir: "config",
      database: testDatabase(),
      pollMs: 20,
    });
    const heard: Task[] = [];
    engine.onTaskChange((changed) => heard.push(changed));
    engine.start();
    const { task } = await engine.submit({
      source: "console",
      requester: "owner",
      text: "Objective: Draft a blog post about our launch\nDone when: under 500 words",
    });
    expect(task.state).toBe("queued");
    for (let i = 0; i < 100 && (await engine.task(task.id)).state !== "done"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await engine.stop();
    const detail = await engine.detail(task.id);
    expect(detail.task.state).toBe("done");
    expect(detail.events.map((e) => e.to)).toEqual(["queued", "running", "reviewing", "done"]);
    expect((await engine.outbox.pending(10)).map((m) => m.message.kind)).toEqual(["task_done"]);
    // The pool moves the task from what it holds instead of reading the row: what it reports
    // at each step must be the row as stored then.
    expect(heard.map((changed) => changed.state)).toEqual(["queued", "running", "done"]);
    expect(heard.at(-1)).toStrictEqual(detail.task);
  });

  it("runs a backlog of instant tasks back to back yet leaves the event loop its turns", async () => {
    const config = loadConfigFile("config/steward.yaml", {});
    const support = config.categories.find((category) => category.name === "support")!;
    support.limits.concurrency = 1;
    const engine = new Engine({
      config,
      configDir: "config",
      database: testDatabase(),
      runners: new Map([[support.worker!, async () => ({ output: "ok" })]]),
      pollMs: 20,
    });
    const backlog = 2_000;
    for (let i = 0; i < backlog; i++) {
      await engine.submit({
        source: "console",
        requester: "owner",
        category: "support",
        text: `Objective: Answer customer ${i}\nDone when: the reply is sent`,
      });
    }
    let done = 0;
    const allDone = new Promise<void>((resolve) =>
      engine.onTaskChange((changed) => {
        if (changed.state === "done" && ++done === backlog) resolve();
      }),
    );
    let turns = 0;
    const ticker = setInterval(() => turns++, 1);
    const started = performance.now();
    engine.start();
    await allDone;
    const elapsedMs = performance.now() - started;
    clearInterval(ticker);
    await engine.stop();
    // Passes bursting for 2 ms at most: a 1 ms timer fires at least once per burst or so.
    // (Passes that never yielded would let it fire once, after the backlog.)
    expect(turns).toBeGreaterThan(Math.min(20, elapsedMs / 10));
  });

  // A completion fails after it wrote (the database refuses its done notice). Passes have no
  // savepoint: the group around it is rolled back, and what it held of other tasks is redone.
  // Passes then take savepoints for a while, so the failure, met again, is undone alone and its
  // task left running for lease recovery. Nobody hears of a change that was rolled back.
  it.each([
    { concurrency: 1, passes: "one completion per pass" },
    { concurrency: 4, passes: "several completions per pass" },
  ])("a completion that fails is undone and the pool goes on: $passes", async ({ concurrency }) => {
    const { engine, ids, failing, errors, othersDone } = await refusingOneCompletion({
      concurrency,
      count: 4,
      runner: () => async () => ({ output: "ok" }),
    });
    engine.start();
    const heardDone = await othersDone;
    await engine.stop(0);

    const others = ids.filter((id) => id !== failing);
    expect(heardDone.sort()).toEqual(others);
    for (const id of others) {
      const events = (await engine.detail(id)).events.map((event) => event.to);
      expect(events.at(-1)).toBe("done");
      expect(events.filter((to) => to === "done")).toHaveLength(1);
    }
    const failed = await engine.detail(failing);
    expect(failed.events.map((event) => event.to)).toEqual(["queued", "running"]);
    expect(failed.attempts.map((attempt) => attempt.outcome)).toEqual(["running"]);
    // Once when the group fell with it (its claim too, so it ran again), once undone alone.
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors)).toEqual(new Set([`worker pool: running T-${failing}: disk says no`]));
    const notices = (await engine.outbox.pending(10)).map(({ message }) => message);
    expect(notices.map((notice) => ("taskId" in notice ? notice.taskId : 0)).sort()).toEqual(
      others,
    );
  });

  // What a rolled-back group held of other tasks is undone in memory as well: a completion in it
  // runs again (its task was left running under the pool's lease), and a run whose claim was in
  // it is stopped, and nothing it does is written (its task is queued again).
  it("a failed group's completions run again and its claims' runs are void", async () => {
    let startThird: () => void = () => {};
    const thirdStarted = new Promise<void>((resolve) => {
      startThird = resolve;
    });
    const thirdSignals: AbortSignal[] = [];
    const { engine, ids, failing, errors, othersDone } = await refusingOneCompletion({
      concurrency: 2,
      count: 3,
      // No group commits on its own before the failure: a stalled test process must not
      // commit the group the failure is meant to roll back.
      grouping: { windowMs: 1000, maxUnits: 1024 },
      runner:
        (database, ids) =>
        async ({ id }, { signal }) => {
          const [first, failing, third] = ids;
          // The first two claims are made durable; the first completion opens the next group.
          if (id === first) database.commits.commit();
          // The failing completion comes in that group, after the third task's claim.
          if (id === failing) await thirdStarted;
          if (id === third) {
            thirdSignals.push(signal);
            startThird();
            if (thirdSignals.length === 1)
              await new Promise((resolve) => signal.addEventListener("abort", resolve));
          }
          return { output: "ok" };
        },
    });
    const [first, , third] = ids as [number, number, number];
    engine.start();
    const heardDone = await othersDone;
    await engine.stop(0);

    expect(heardDone.sort()).toEqual([first, third]);
    const redone = await engine.detail(first);
    expect(statesOf(redone)).toBe("queued running queued running reviewing done");
    expect(redone.events[2]?.reason).toMatch(/rolled back/);
    expect(redone.attempts.map((attempt) => attempt.outcome)).toEqual(["abandoned", "succeeded"]);
    // The void run was stopped; nothing of it was stored.
    expect(thirdSignals.map((signal) => signal.aborted)).toEqual([true, false]);
    const voided = await engine.detail(third);
    expect(statesOf(voided)).toBe("queued running reviewing done");
    expect(voided.attempts.map((attempt) => attempt.outcome)).toEqual(["succeeded"]);
    const failed = await engine.detail(failing);
    expect(failed.events.map((event) => event.to)).toEqual(["queued", "running"]);
    expect(failed.attempts.map((attempt) => attempt.outcome)).toEqual(["running"]);
    expect(errors).toEqual([`worker pool: running T-${failing}: disk says no`]);
  });

  it("a task cancelled after its run ended, before its completion was written, stays cancelled", async () => {
    const config = loadConfigFile("config/steward.yaml", {});
    const support = config.categories.find((category) => category.name === "support")!;
    let engine: Engine | undefined;
    // The runner finishes without looking at its signal, after the task was cancelled.
    const runner = async ({ id }: { id: number }) => {
      await engine?.cancel(id, "owner", "no longer needed");
      return { output: "a reply nobody wants" };
    };
    engine = new Engine({
      config,
      configDir: "config",
      database: testDatabase(),
      runners: new Map([[support.worker!, runner]]),
      pollMs: 20,
    });
    const { task } = await engine.submit({
      source: "console",
      requester: "owner",
      category: "support",
      text: "Objective: Answer customer 7\nDone when: the reply is sent",
    });
    engine.start();
    for (
      let i = 0;
      i < 100 && (await engine.detail(task.id)).attempts[0]?.outcome !== "abandoned";
      i++
    )
      await new Promise((resolve) => setTimeout(resolve, 10));
    await engine.stop();
    const detail = await engine.detail(task.id);
    expect(detail.task).toMatchObject({ state: "cancelled", output: null });
    expect(detail.events.map((event) => event.to)).toEqual(["queued", "running", "cancelled"]);
    expect(detail.attempts).toMatchObject([
      { outcome: "abandoned", error: "the task moved on while it ran" },
    ]);
  });
});

/**
 * An engine on the support category, `count` tasks filed, whose database refuses the second
 * task's done notice (a completion that fails after it wrote). `runner` is made with the
 * database and the task ids (filled once filed). `othersDone` resolves with the tasks heard
 * done once all the others have been.
 */
async function refusingOneCompletion(options: {
  concurrency: number;
  count: number;
  runner: (database: OpenDatabase, ids: readonly number[]) => WorkerRunner;
  grouping?: DatabaseOptions["grouping"];
}) {
  const config = loadConfigFile("config/steward.yaml", {});
  const support = config.categories.find((category) => category.name === "support")!;
  support.limits.concurrency = options.concurrency;
  const database = testDatabase({ grouping: options.grouping });
  const errors: string[] = [];
  const ids: number[] = [];
  const engine = new Engine({
    config,
    configDir: "config",
    database,
    runners: new Map([[support.worker!, options.runner(database, ids)]]),
    logger: { info() {}, warn() {}, error: (message) => errors.push(message) },
    pollMs: 20,
  });
  for (let i = 0; i < options.count; i++) {
    const { task } = await engine.submit({
      source: "console",
      requester: "owner",
      category: "support",
      text: `Objective: Answer customer ${i}\nDone when: the reply is sent`,
    });
    ids.push(task.id);
  }
  const failing = ids[1]!;
  database.sqlite.exec(`CREATE TRIGGER refuse_done BEFORE INSERT ON outbox
    WHEN NEW.key = 'done:${failing}' BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);
  const heardDone: number[] = [];
  const othersDone = new Promise<number[]>((resolve) =>
    engine.onTaskChange((changed) => {
      if (changed.state === "done") heardDone.push(changed.id);
      if (heardDone.length === ids.length - 1) resolve(heardDone);
    }),
  );
  return { engine, ids, failing, errors, othersDone };
}

/** The states a task went through, in order, space-separated. */
function statesOf(detail: { events: readonly { to: string }[] }): string {
  return detail.events.map((event) => event.to).join(" ");
}
