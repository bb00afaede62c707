/**
 * A `steward worker` process, as the CLI runs it, while its PostgreSQL server restarts: its
 * connections cut a dozen times as it works, then every one cut and new ones refused for 3 s. The process must stay up (a connection broken while
 * lent out to a write once crashed it), finish every task, and say what happened in a few lines.
 */
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import { systemClock } from "../../../src/core/clock.js";
import { ROLES } from "../../../src/core/roles.js";
import { openStore } from "../../../src/db/open-store.js";
import { Engine } from "../../../src/engine/engine.js";
import { cutConnections, databaseWithClient, refuseConnections } from "../../postgres.js";
import { eventually, launch } from "../../steward-process.js";
import { CONFIG, stewardEnv } from "./env.js";
import { doneCount } from "./history.js";

const TASKS = 300;
const database = databaseWithClient();

describe("steward processes through a PostgreSQL restart", () => {
  it("stay up, finish every task, take their roles again and log each failure once", async () => {
    const { url, client } = database;
    // Outputs stay in the task: nothing is delivered in this test.
    const env = stewardEnv(url);
    const config = loadConfigFile(CONFIG, env);
    const opened = await openStore({ kind: "postgres", url }, systemClock);
    const filing = new Engine({ config, configDir: dirname(CONFIG), store: opened });
    try {
      for (let item = 1; item <= TASKS; item++) {
        await filing.submit({
          source: "outage-test",
          requester: "tester",
          category: "work",
          fields: { objective: `Process item ${item}` },
        });
      }
    } finally {
      await opened.store.close();
    }

    // The main process (every role) and a worker, as on two hosts.
    const serve = launch(["serve"], { ...env, STEWARD_HTTP_PORT: "0" });
    const worker = launch(["worker", "--concurrency", "4"], env);
    const processes = { serve, worker };
    let restartedAt = 0;
    try {
      await serve.logged("steward started", 60_000);
      await worker.logged("worker started", 60_000);
      await eventually(async () => ((await doneCount(client)) >= 30 ? true : undefined), "30 done");
      // Cuts while they work (one lent out to a write is likely among them), then the restart.
      await cutConnections(client, 12);
      await refuseConnections(url, client, 3_000);
      restartedAt = Date.now();
      await eventually(
        async () => {
          // A crash fails here, with what it printed, rather than as a timeout.
          for (const [name, run] of Object.entries(processes)) {
            if (run.child.exitCode !== null) throw new Error(`${name} exited:\n${run.stderr()}`);
          }
          return (await doneCount(client)) === TASKS ? true : undefined;
        },
        `all ${TASKS} done`,
        60_000,
      );
      // The main process takes its roles again once the server answers.
      const retaken = () =>
        new Set(
          serve.logs
            .filter((entry) => entry.msg === "role acquired")
            .filter((entry) => Date.parse(entry.time as string) >= restartedAt)
            .map((entry) => entry.role),
        );
      await eventually(() => (retaken().size === ROLES.length ? true : undefined), "roles again");
    } finally {
      serve.child.kill("SIGTERM");
      worker.child.kill("SIGTERM");
    }
    expect(await serve.exited).toMatchObject({ code: 0 });
    expect(await worker.exited).toMatchObject({ code: 0 });

    for (const [name, run] of Object.entries(processes)) {
      // A line is its message and the role it names, if any ("role lost" is one line a role).
      const troubles = run.logs
        .filter((entry) => entry.level === "warn" || entry.level === "error")
        .map((entry) => (entry.role === undefined ? entry.msg : `${entry.msg} (${entry.role})`));
      console.log(`${name} logged while its database restarted:\n${troubles.join("\n")}`);
      expect(troubles.some((line) => line.startsWith("database: a connection broke"))).toBe(true);
      // Its pool polls every 2 s, its wake-ups and roles reconnect every few: each line once.
      expect(troubles.filter((line, index) => troubles.indexOf(line) !== index)).toEqual([]);
      expect(run.stderr()).not.toMatch(/Uncaught|unhandled/i);
    }
  }, 120_000);
});
