import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import { ROLES } from "../../../src/core/roles.js";
import { VERSION } from "../../../src/package-info.js";
import { tempDir } from "../../helpers.js";
import { databaseWithClient } from "../../postgres.js";
import {
  eventually,
  FROM_SOURCE,
  fastConfig,
  launch,
  ROOT,
  type StewardProcess,
} from "../../steward-process.js";
import { deliver } from "../http/setup.js";

const SECRET = "helpdesk-secret-for-tests";
const REQUEST = JSON.stringify({
  text: "Objective: Answer the refund request for order 4411\nDone when: the customer has a reply",
});

const database = databaseWithClient();

function environment(db: string) {
  return {
    STEWARD_DB: db,
    STEWARD_CONFIG: fastConfig(tempDir()),
    STEWARD_HTTP_PORT: "0",
    HELPDESK_WEBHOOK_SECRET: SECRET,
  };
}

/** The roles `steward` has said it acquired, in the order it said so. */
function acquired(steward: StewardProcess): string[] {
  return steward.logs.filter((entry) => entry.msg === "role acquired").map((e) => `${e.role}`);
}

async function holdsEveryRole(steward: StewardProcess, timeoutMs = 15_000): Promise<void> {
  await eventually(
    () => (ROLES.every((role) => acquired(steward).includes(role)) ? true : undefined),
    "every role acquired",
    timeoutMs,
  );
}

interface StatusJson {
  processes: {
    live: { pid: number; roles: string[]; categories: string[]; version: string; config: string }[];
  };
}

async function status(env: Record<string, string>): Promise<StatusJson> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...FROM_SOURCE, "status", "--json"],
    { cwd: ROOT, env: { ...process.env, ...env } },
  );
  return JSON.parse(stdout) as StatusJson;
}

describe("steward on PostgreSQL, several processes", () => {
  it("`steward worker` on a SQLite file says what it needs, in one line", async () => {
    const worker = launch(["worker"], environment(`${tempDir()}/steward.db`));
    expect((await worker.exited).code).toBe(1);
    expect(worker.stderr().trim()).toMatch(
      /^steward worker works a PostgreSQL database shared with `steward serve`: set STEWARD_DB=postgres:\/\/…/,
    );
  });

  it("one serve holds every role, a worker only works; when it stops, a standby serve takes over", async () => {
    const env = environment(database.url);
    const first = launch(["serve"], env);
    await first.logged("steward started");
    await holdsEveryRole(first);
    const standby = launch(["serve"], env);
    const { http } = await standby.logged("steward started");
    // A worker host needs no webhook secret: its environment differs, its config file does not.
    const { HELPDESK_WEBHOOK_SECRET: _, ...workerEnv } = env;
    const worker = launch(["worker", "--categories", "support", "--concurrency", "2"], workerEnv);
    await worker.logged("worker started");

    // A webhook to the standby is filed, and run by whichever process claims it.
    const filed = await deliver(http as string, "helpdesk", REQUEST, { secret: SECRET });
    expect(filed).toMatchObject({ status: 202, json: { task: "T-1", state: "queued" } });
    await eventually(async () => {
      const { rows } = await database.client.query<{ state: string }>(
        "SELECT state FROM tasks WHERE id = 1",
      );
      return rows[0]?.state === "done" ? true : undefined;
    }, "T-1 done");
    expect(acquired(standby)).toEqual([]);

    const { processes } = await status(env);
    const byPid = new Map(processes.live.map((entry) => [entry.pid, entry]));
    expect([...(byPid.get(first.child.pid!)?.roles ?? [])].sort()).toEqual([...ROLES].sort());
    expect(byPid.get(standby.child.pid!)?.roles).toEqual([]);
    expect(byPid.get(worker.child.pid!)).toMatchObject({ roles: [], categories: ["support"] });
    // Each says the version it runs (hosts left behind in an upgrade show), here and in /readyz.
    expect(processes.live.map((entry) => entry.version)).toEqual(processes.live.map(() => VERSION));
    // So does the config file each runs (`steward status` names hosts on another file).
    const { fingerprint } = loadConfigFile(env.STEWARD_CONFIG, {});
    expect(fingerprint).toMatch(/^[0-9a-f]{12}$/);
    expect(processes.live.map((entry) => entry.config)).toEqual(
      processes.live.map(() => fingerprint),
    );
    const ready = (await (await fetch(`${http}/readyz`)).json()) as {
      processes: { live: { pid: number; version: string; config: string }[] };
    };
    expect(ready.processes.live.find((entry) => entry.pid === worker.child.pid)).toMatchObject({
      version: VERSION,
      config: fingerprint,
    });
    const metrics = await (await fetch(`${http}/metrics`)).text();
    expect(metrics).toContain(`steward_role_held{role="scheduler",host=`);
    expect(metrics).toMatch(
      new RegExp(`steward_role_held\\{role="delivery",host="[^"]+",pid="${first.child.pid}"\\} 1`),
    );

    const stopped = Date.now();
    first.child.kill("SIGTERM");
    expect(await first.exited).toEqual({ code: 0, signal: null });
    await holdsEveryRole(standby, 10_000);
    console.log(`standby held every role ${Date.now() - stopped} ms after SIGTERM`);

    worker.child.kill("SIGTERM");
    standby.child.kill("SIGTERM");
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(await standby.exited).toEqual({ code: 0, signal: null });
  }, 120_000);
});
