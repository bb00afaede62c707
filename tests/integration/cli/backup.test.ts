import { execFile } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { tempDir } from "../../helpers.js";
import { eventually, FROM_SOURCE, fastConfig, launch, ROOT } from "../../steward-process.js";
import { deliver } from "../http/setup.js";

const SECRET = "helpdesk-secret-for-backups";
const run = promisify(execFile);

function request(n: number): string {
  return JSON.stringify({
    text: `Objective: Answer the refund request for order ${n}\nDone when: the customer has a reply`,
  });
}

/** Task states as another process reads them: committed rows only. */
function statesIn(file: string): Map<number, string> {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare("SELECT id, state FROM tasks").all() as { id: number; state: string }[];
    return new Map(rows.map((row) => [row.id, row.state]));
  } finally {
    db.close();
  }
}

describe("steward backup", () => {
  it("copies a running Steward's database; restored, nothing committed before it is lost", async () => {
    const dir = tempDir();
    const env = {
      STEWARD_DB: join(dir, "steward.db"),
      STEWARD_CONFIG: fastConfig(dir),
      STEWARD_HTTP_PORT: "0",
      HELPDESK_WEBHOOK_SECRET: SECRET,
    };
    const steward = launch(["serve"], env);
    const url = (await steward.logged("steward started")).http as string;

    // Requests keep arriving and tasks keep running throughout the backup.
    const acknowledged: number[] = [];
    let sending = true;
    const sender = (async () => {
      for (let n = 1; sending; n++) {
        const { status, json } = await deliver(url, "helpdesk", request(n), { secret: SECRET });
        expect(status).toBe(202);
        acknowledged.push(Number(String(json.task).slice(2)));
        await new Promise((wait) => setTimeout(wait, 50));
      }
    })();
    await eventually(() => (acknowledged.length >= 10 ? true : undefined), "10 requests filed");
    await eventually(
      () => ([...statesIn(env.STEWARD_DB).values()].includes("done") ? true : undefined),
      "a task done",
    );

    const before = { acknowledged: [...acknowledged], states: statesIn(env.STEWARD_DB) };
    const file = join(dir, "backup.db");
    const backup = await run(process.execPath, [...FROM_SOURCE, "backup", file], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    expect(backup.stdout).toMatch(/^OK .*steward\.db backed up to .*backup\.db \(\d+ pages/);
    const sentDuringBackup = acknowledged.length - before.acknowledged.length;
    sending = false;
    await sender;
    steward.child.kill("SIGTERM");
    expect((await steward.exited).code).toBe(0);
    expect(sentDuringBackup).toBeGreaterThan(0);

    // A second backup to the same file is refused: a backup is never overwritten.
    await expect(
      run(process.execPath, [...FROM_SOURCE, "backup", file], {
        cwd: ROOT,
        env: { ...process.env, ...env },
      }),
    ).rejects.toMatchObject({ stderr: expect.stringContaining("exists already") });

    // Restore as the README says: stopped, the copy in place of the database, no old -wal.
    const restored = join(tempDir(), "steward.db");
    copyFileSync(file, restored);
    expect(existsSync(`${file}-wal`)).toBe(false);
    const copy = statesIn(restored);
    for (const id of before.acknowledged) expect(copy.has(id), `T-${id} in the backup`).toBe(true);
    for (const [id, state] of before.states) {
      if (state === "done") expect(copy.get(id), `T-${id} done in the backup`).toBe("done");
    }

    const again = launch(["serve"], { ...env, STEWARD_DB: restored });
    const ready = (await again.logged("steward started")).http as string;
    expect((await fetch(`${ready}/readyz`)).status).toBe(200);
    // What was queued or running at the backup runs now; everything ends done.
    await eventually(() => {
      const states = [...statesIn(restored).values()];
      return states.every((state) => state === "done") ? true : undefined;
    }, "every restored task done");
    again.child.kill("SIGTERM");
    expect((await again.exited).code).toBe(0);
  }, 60_000);
});
