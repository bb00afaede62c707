import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Role } from "../../../src/core/roles.js";
import { Leadership } from "../../../src/db/pg/leadership.js";
import { databaseWithClient } from "../../postgres.js";
import { ROOT } from "../../steward-process.js";

/** Failover is measured and printed; this bound only keeps a broken one from hanging. */
const FAILOVER_GUARD_MS = 15_000;

const database = databaseWithClient();

const opened: Leadership[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((leadership) => leadership.close()));
});

/** A process's leadership (a connection of its own), recording what it is told. */
function contender(role: Role) {
  const leadership = new Leadership(database.url, { everyMs: 250 });
  opened.push(leadership);
  const told: string[] = [];
  let acquired: () => void = () => undefined;
  const acquiredOnce = new Promise<number>((resolve) => {
    acquired = () => resolve(Date.now());
  });
  leadership.hold(role, {
    onAcquired: () => {
      told.push("acquired");
      acquired();
    },
    onLost: () => told.push("lost"),
  });
  return { leadership, told, acquired: acquiredOnce };
}

/** The server process whose session holds `role`'s lock, if any. */
async function holderPid(role: string): Promise<number | undefined> {
  const { rows } = await database.client.query<{ pid: number }>(
    `SELECT pid FROM pg_locks
      WHERE locktype = 'advisory' AND granted AND classid = 3 AND objid::int = hashtext($1)`,
    [role],
  );
  return rows[0]?.pid;
}

const within = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: not in ${ms} ms`)), ms),
    ),
  ]);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not in ${ms} ms`);
    await pause(20);
  }
}

describe("singleton roles on PostgreSQL", () => {
  it("of two processes asking for a role, one holds it and the other waits", async () => {
    const first = contender("scheduler");
    await within(first.acquired, 5_000, "the first holder");
    const second = contender("scheduler");
    await pause(1_000);

    expect(first.leadership.held()).toEqual(new Set(["scheduler"]));
    expect(second.leadership.held()).toEqual(new Set());
    expect(second.told).toEqual([]);
  });

  it("roles are held one by one: another process may hold a different role", async () => {
    const first = contender("gateway");
    await within(first.acquired, 5_000, "gateway");
    const second = contender("delivery");
    await within(second.acquired, 5_000, "delivery");
    expect(second.leadership.held()).toEqual(new Set(["delivery"]));
  });

  it("when the holder's connection is terminated, it is told at once and the other takes the role", async () => {
    const first = contender("checker");
    await within(first.acquired, 5_000, "the first holder");
    const second = contender("checker");
    await pause(500);
    const pid = await holderPid("checker");
    expect(pid).toBeDefined();

    const cut = Date.now();
    await database.client.query("SELECT pg_terminate_backend($1)", [pid]);
    await until(() => first.told.includes("lost"), 5_000, "the holder told of its loss");
    const noticed = Date.now() - cut;
    const taken = (await within(second.acquired, FAILOVER_GUARD_MS, "failover")) - cut;
    console.log(`terminated holder: lost noticed in ${noticed} ms, role taken over in ${taken} ms`);

    expect(first.told).toEqual(["acquired", "lost"]);
    expect(first.leadership.held()).toEqual(new Set());
    expect(second.leadership.held()).toEqual(new Set(["checker"]));
  });

  it("a holder that closes releases the role at once", async () => {
    const first = contender("escalations");
    await within(first.acquired, 5_000, "the first holder");
    const second = contender("escalations");
    await pause(500);

    const closed = Date.now();
    await first.leadership.close();
    const taken = (await within(second.acquired, FAILOVER_GUARD_MS, "hand-over")) - closed;
    console.log(`closed holder: role taken over in ${taken} ms`);
    expect(taken).toBeLessThan(FAILOVER_GUARD_MS);
  });

  it("a holder that lost its connection takes the role again once it is free", async () => {
    const only = contender("gateway");
    await within(only.acquired, 5_000, "the holder");
    await database.client.query("SELECT pg_terminate_backend($1)", [await holderPid("gateway")]);
    await until(() => only.told.length === 3, 5_000, "lost, then acquired again");
    expect(only.told).toEqual(["acquired", "lost", "acquired"]);
  });
});

describe("singleton roles across real processes", () => {
  const children = new Set<ChildProcess>();
  afterEach(() => {
    for (const child of children) child.kill("SIGKILL");
    children.clear();
  });

  /** `node` running the fixture: its lines, and when each arrived. */
  function holdInProcess(role: Role) {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(ROOT, "tests/fixtures/pg/hold-role.ts"), database.url, role],
      { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    children.add(child);
    const lines: { line: string; at: number }[] = [];
    let buffered = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split("\n");
      buffered = parts.pop()!;
      for (const line of parts) lines.push({ line, at: Date.now() });
    });
    const acquiredAt = () => lines.find(({ line }) => line.startsWith("acquired"))?.at;
    return { child, lines, acquiredAt };
  }

  it("kill -9 of the holding process: the other process takes the role", async () => {
    const a = holdInProcess("delivery");
    const b = holdInProcess("delivery");
    await until(
      () => a.acquiredAt() !== undefined || b.acquiredAt() !== undefined,
      20_000,
      "a holder",
    );
    await pause(1_500);
    const [holder, other] = a.acquiredAt() !== undefined ? [a, b] : [b, a];
    expect(other.acquiredAt()).toBeUndefined();

    const killed = Date.now();
    holder.child.kill("SIGKILL");
    await until(() => other.acquiredAt() !== undefined, FAILOVER_GUARD_MS, "failover");
    const taken = other.acquiredAt()! - killed;
    console.log(`kill -9 of the holding process: role taken over in ${taken} ms`);
    expect(other.lines.map(({ line }) => line)).toEqual([`acquired ${other.child.pid}`]);
  }, 40_000);
});
