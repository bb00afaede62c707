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
});
