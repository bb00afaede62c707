import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import type { Task } from "../../../src/core/task.js";
import { Engine } from "../../../src/engine/engine.js";
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
    const { task } = engine.submit({
      source: "console",
      requester: "owner",
      text: "Objective: Draft a blog post about our launch\nDone when: under 500 words",
    });
    expect(task.state).toBe("queued");
    for (let i = 0; i < 100 && engine.tasks.require(task.id).state !== "done"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await engine.stop();
    const detail = engine.detail(task.id);
    expect(detail.task.state).toBe("done");
    expect(detail.events.map((e) => e.to)).toEqual(["queued", "running", "reviewing", "done"]);
    expect(engine.outbox.pending(10).map((m) => m.message.kind)).toEqual(["task_done"]);
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
      engine.submit({
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

  // A completion fails after it wrote (the database refuses its done notice): it must be
  // undone alone, its task left running for lease recovery, and the pool must go on.
  it.each([
    { concurrency: 1, passes: "one completion per pass (no savepoint of its own)" },
    { concurrency: 4, passes: "the completions of one pass (each in a savepoint)" },
  ])("a completion that fails is undone alone: $passes", async ({ concurrency }) => {
    const config = loadConfigFile("config/steward.yaml", {});
    const support = config.categories.find((category) => category.name === "support")!;
    support.limits.concurrency = concurrency;
    const database = testDatabase();
    const errors: string[] = [];
    const engine = new Engine({
      config,
      configDir: "config",
      database,
      runners: new Map([[support.worker!, async () => ({ output: "ok" })]]),
      logger: { info() {}, warn() {}, error: (message) => errors.push(message) },
      pollMs: 20,
    });
    const ids = Array.from(
      { length: 4 },
      (_, i) =>
        engine.submit({
          source: "console",
          requester: "owner",
          category: "support",
          text: `Objective: Answer customer ${i}\nDone when: the reply is sent`,
        }).task.id,
    );
    const failing = ids[1]!;
    database.sqlite.exec(`CREATE TRIGGER refuse_done BEFORE INSERT ON outbox
      WHEN NEW.key = 'done:${failing}' BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);
    const finished = new Set<number>();
    const othersDone = new Promise<void>((resolve) =>
      engine.onTaskChange((changed) => {
        if (changed.state === "done") finished.add(changed.id);
        if (finished.size === ids.length - 1) resolve();
      }),
    );
    engine.start();
    await othersDone;
    await engine.stop(0);

    expect([...finished].sort()).toEqual(ids.filter((id) => id !== failing));
    const failed = engine.detail(failing);
    expect(failed.events.map((event) => event.to)).toEqual(["queued", "running"]);
    expect(failed.attempts.map((attempt) => attempt.outcome)).toEqual(["running"]);
    expect(errors).toEqual([`worker pool: running T-${failing}: disk says no`]);
    const notices = engine.outbox.pending(10).map(({ message }) => message);
    expect(notices.map((notice) => ("taskId" in notice ? notice.taskId : 0)).sort()).toEqual(
      ids.filter((id) => id !== failing),
    );
  });

  it("a task cancelled after its run ended, before its completion was written, stays cancelled", async () => {
    const config = loadConfigFile("config/steward.yaml", {});
    const support = config.categories.find((category) => category.name === "support")!;
    let engine: Engine | undefined;
    // The runner finishes without looking at its signal, after the task was cancelled.
    const runner = async ({ id }: { id: number }) => {
      engine?.cancel(id, "owner", "no longer needed");
      return { output: "a reply nobody wants" };
    };
    engine = new Engine({
      config,
      configDir: "config",
      database: testDatabase(),
      runners: new Map([[support.worker!, runner]]),
      pollMs: 20,
    });
    const { task } = engine.submit({
      source: "console",
      requester: "owner",
      category: "support",
      text: "Objective: Answer customer 7\nDone when: the reply is sent",
    });
    engine.start();
    for (let i = 0; i < 100 && engine.detail(task.id).attempts[0]?.outcome !== "abandoned"; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    await engine.stop();
    const detail = engine.detail(task.id);
    expect(detail.task).toMatchObject({ state: "cancelled", output: null });
    expect(detail.events.map((event) => event.to)).toEqual(["queued", "running", "cancelled"]);
    expect(detail.attempts).toMatchObject([
      { outcome: "abandoned", error: "the task moved on while it ran" },
    ]);
  });
});
