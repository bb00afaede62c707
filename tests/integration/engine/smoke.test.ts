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
});
