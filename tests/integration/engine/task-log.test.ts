import { describe, expect, it } from "vitest";
import { logTaskFailures } from "../../../src/adapters/task-log.js";
import { loadConfigFile } from "../../../src/config/load.js";
import { Engine } from "../../../src/engine/engine.js";
import { testDatabase } from "../../helpers.js";
import { recordingLogger } from "../http/setup.js";

describe("worker failures in the log", () => {
  it("each failure is one warn line naming the task, worker and class; other changes say nothing", async () => {
    const logger = recordingLogger();
    const engine = new Engine({
      config: loadConfigFile("config/steward.yaml", {}),
      configDir: "config",
      database: testDatabase(),
      logger,
    });
    logTaskFailures(engine);
    const { task } = await engine.submit({
      source: "console",
      requester: "owner",
      text: "Objective: Answer the refund request for order 9\nDone when: replied",
      category: "support",
    });
    await new Promise((settled) => setTimeout(settled, 50));
    expect(logger.lines).toEqual([]);

    await engine.escalate(task.id, {
      reason: "the reply failed review twice",
      failureClass: "logic",
      error: "the reply does not answer the question",
    });
    await new Promise((settled) => setTimeout(settled, 50));
    expect(logger.lines).toEqual([
      {
        level: "warn",
        message: `T-${task.id} failed (logic) on demo-writer: now escalated`,
        context: expect.objectContaining({
          task: `T-${task.id}`,
          category: "support",
          worker: "demo-writer",
          class: "logic",
          error: "the reply does not answer the question",
        }),
      },
    ]);
  });
});
