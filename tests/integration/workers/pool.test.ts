import { describe, expect, it } from "vitest";
import { makeEngine, policyConfig, shellWorker, submit, waitForState } from "../policy/helpers.js";

/** One category whose worker echoes the objective back: runs finish at once. */
const echoConfig = () =>
  policyConfig(`
    categories:
      - { name: writing, description: Writing, examples: [write], worker: writer }
    workers:
      writer: ${shellWorker("echo.mjs")}
  `);

describe("the worker pool's mode", () => {
  it("a pool built but not started only records: its passes claim nothing", async () => {
    const { engine } = makeEngine(echoConfig());
    const task = await submit(engine, "writing", "Write a haiku about queues");
    expect(await engine.pool.tick()).toBe(0);
    expect((await engine.task(task.id)).state).toBe("queued");
  });

  it("a running pool cannot be started again; a stopped one runs again when started", async () => {
    const { engine } = makeEngine(echoConfig());
    engine.pool.start();
    try {
      expect(() => engine.pool.start()).toThrow(
        "the worker pool cannot go from running to running",
      );
      await engine.pool.stop(1_000);
      const task = await submit(engine, "writing", "Write a limerick about leases");
      expect(await engine.pool.tick()).toBe(0);
      engine.pool.start();
      await waitForState(engine, task.id, "done");
    } finally {
      await engine.pool.stop(1_000);
    }
  });
});
