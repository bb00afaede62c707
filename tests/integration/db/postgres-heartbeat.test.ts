import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../../src/core/clock.js";
import type { Role } from "../../../src/core/roles.js";
import { openPostgresStore } from "../../../src/db/pg/store.js";
import type { Store } from "../../../src/db/store.js";
import { Heartbeat, newProcessId, thisProcess } from "../../../src/engine/heartbeat.js";
import { postgresDatabase } from "../../postgres.js";

let stores: Store<"async">[];
beforeAll(async () => {
  const url = await postgresDatabase();
  // Two processes, each with a pool of its own.
  stores = [await openPostgresStore(url, systemClock), await openPostgresStore(url, systemClock)];
});
afterAll(() => Promise.all(stores.map((store) => store.close())));

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("process heartbeats on PostgreSQL", () => {
  it("two processes beat; one closes and leaves the list; one that never beats again turns stale", async () => {
    const roles: Role[] = [];
    const serve = new Heartbeat(
      stores[0]!.processes,
      thisProcess(newProcessId(), "", { roles, categories: [] }),
      {
        everyMs: 100,
        current: () => ({ roles, categories: [] }),
      },
    );
    const worker = new Heartbeat(
      stores[1]!.processes,
      thisProcess(newProcessId(), "", { roles: [], categories: ["content"] }),
      { everyMs: 100, current: () => ({ roles: [], categories: ["content"] }) },
    );
    await serve.start();
    await worker.start();
    roles.push("gateway");
    await pause(300);

    const both = await stores[1]!.processes.list(1_000);
    expect(both.live.map(({ id }) => id)).toEqual([serve.entry.id, worker.entry.id]);
    expect(both.live[0]).toMatchObject({ pid: process.pid, roles: ["gateway"] });
    expect(both.live[1]).toMatchObject({ categories: ["content"] });

    await worker.close();
    expect((await stores[0]!.processes.list(1_000)).live.map(({ id }) => id)).toEqual([
      serve.entry.id,
    ]);

    // A process that registered and crashed: no beats, never marked gone.
    const crashed = thisProcess(newProcessId(), "", { roles: [], categories: ["code"] });
    await stores[1]!.processes.register(crashed);
    await pause(600);
    const after = await stores[0]!.processes.list(500);
    expect(after.live.map(({ id }) => id)).toEqual([serve.entry.id]);
    expect(after.stale.map(({ id }) => id)).toEqual([crashed.id]);
    await serve.close();
  });
  it("a role taken while a beat is under way is beaten again at once, not a tick later", async () => {
    const real = stores[0]!.processes;
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The real registry, its beats held until released: the first beat reads no role.
    const slow: typeof real = {
      register: (entry) => real.register(entry),
      beat: async (id, now) => {
        await held;
        return real.beat(id, now);
      },
      gone: (id) => real.gone(id),
      list: (staleAfterMs) => real.list(staleAfterMs),
    };
    const roles: Role[] = [];
    const heartbeat = new Heartbeat(
      slow,
      thisProcess(newProcessId(), "", { roles: [], categories: [] }),
      {
        everyMs: 60_000,
        current: () => ({ roles: [...roles], categories: [] }),
      },
    );
    await heartbeat.start();
    heartbeat.beatNow();
    roles.push("delivery");
    heartbeat.beatNow();
    release();
    let listed: Role[] | undefined;
    for (let tries = 0; tries < 50 && listed?.[0] !== "delivery"; tries++) {
      await pause(20);
      const { live } = await real.list(60_000);
      listed = live.find(({ id }) => id === heartbeat.entry.id)?.roles;
    }
    expect(listed).toEqual(["delivery"]);
    await heartbeat.close();
  });
});
