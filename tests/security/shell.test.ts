/**
 * Task text from outside never reaches a shell: a `shell` worker gets the brief as JSON on
 * stdin, and its command line is the config's argv alone. Filed through intake and run by the
 * real pool, on a real SQLite file.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../src/config/load.js";
import { workerSchema } from "../../src/config/schema.js";
import { Engine } from "../../src/engine/engine.js";
import { until } from "../e2e/steward-harness.js";
import { tempDir, testDatabase } from "../helpers.js";
import { ROOT } from "./cli.js";

describe("shell metacharacters in task text", () => {
  it("are data on stdin: nothing runs, argv is the config's, the text arrives intact", async () => {
    const scratch = tempDir();
    const marker = join(scratch, "pwned");
    const canary = join(scratch, "canary");
    mkdirSync(canary);
    const objective = `Draft a blog post $(touch ${marker}); rm -rf ${canary} \`id > ${marker}\` | sh && echo $HOME`;
    const config = loadConfigFile(join(ROOT, "config/steward.yaml"), {});
    const script =
      "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.stringify(" +
      "{objective:JSON.parse(s).brief.objective,argv:process.argv.slice(1)})))";
    config.workers["demo-writer"] = workerSchema.parse({
      kind: "shell",
      command: [process.execPath, "-e", script],
    });
    const engine = new Engine({
      config,
      configDir: join(ROOT, "config"),
      database: testDatabase(),
      pollMs: 10,
    });
    engine.start();
    try {
      const { task } = await engine.submit({
        source: "console",
        requester: "owner",
        text: `Objective: ${objective}\nDone when: under 500 words`,
      });
      const done = await until(async () => {
        const now = await engine.task(task.id);
        return now.state === "done" ? now : undefined;
      }, "the task to be done");
      const seen = JSON.parse(done.output ?? "") as { objective: string; argv: string[] };
      expect(seen.objective).toBe(objective);
      expect(seen.argv).toEqual([]);
      expect(existsSync(marker)).toBe(false);
      expect(existsSync(canary)).toBe(true);
    } finally {
      await engine.stop(1000);
    }
  });
});
