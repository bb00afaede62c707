import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { engineOutbox, OutboxPump } from "../../../src/adapters/outbox-pump.js";
import { loadConfigFile, parseConfig } from "../../../src/config/load.js";
import type { Config } from "../../../src/config/schema.js";
import { systemClock } from "../../../src/core/clock.js";
import { type Logger, silentLogger } from "../../../src/core/log.js";
import { STALE_AFTER_MS } from "../../../src/core/processes.js";
import { noRole } from "../../../src/core/roles.js";
import { type OpenStore, openStore } from "../../../src/db/open-store.js";
import { Engine } from "../../../src/engine/engine.js";
import type { WorkerRunner } from "../../../src/workers/runner.js";
import { databaseWithClient, emptyTables } from "../../postgres.js";

/**
 * Engines sharing one PostgreSQL database, as `serve` and `steward worker` processes do: who
 * claims what, what start-up recovers, and how queued work reaches an idle process.
 */
const database = databaseWithClient();

const config = () => loadConfigFile("config/steward.yaml", {});
const running: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of running.splice(0).reverse()) await stop();
  await emptyTables(database.url);
});

interface Started {
  engine: Engine;
  opened: OpenStore;
  ran: number[];
  /** Why each run the pool stopped was stopped (the abort reason's name). */
  stopped: string[];
}

/** An engine on the shared database, started without roles; its runs recorded, held by `gate`. */
async function worker(
  options: {
    categories?: string[];
    concurrency?: number;
    pollMs?: number;
    gate?: Promise<void>;
    listen?: boolean;
    start?: boolean;
    leaseMs?: number;
    config?: Config;
    logger?: Logger;
  } = {},
): Promise<Started> {
  const opened = await openStore({ kind: "postgres", url: database.url }, systemClock);
  const ran: number[] = [];
  const stopped: string[] = [];
  const runner: WorkerRunner = async (task, { signal }) => {
    ran.push(task.id);
    const aborted = new Promise<never>((_, reject) =>
      signal.addEventListener("abort", () => {
        stopped.push((signal.reason as Error).name);
        reject(signal.reason as Error);
      }),
    );
    await Promise.race([options.gate, aborted]);
    return { output: `done ${task.id}` };
  };
  const engine = new Engine({
    config: options.config ?? config(),
    configDir: "config",
    logger: options.logger,
    store: opened,
    runners: new Map([["demo-writer", runner]]),
    pollMs: options.pollMs,
    leaseMs: options.leaseMs,
    workers: { categories: options.categories, concurrency: options.concurrency },
  });
  let wakeups: { close(): Promise<void> } | undefined;
  if (options.start !== false) {
    await engine.start({ roles: noRole() });
    if (options.listen) {
      wakeups = await opened.coordination!.listen(
        (category) => engine.pool.wake(category),
        () => {},
      );
    }
  }
  running.push(async () => {
    await wakeups?.close();
    await engine.stop(100);
    await opened.store.close();
  });
  return { engine, opened, ran, stopped };
}

async function file(engine: Engine, category: string, n = 1): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const { task } = await engine.submit(
      {
        source: "console",
        requester: "test",
        category,
        fields: { objective: `${category} ${i}`, acceptance_criteria: "anything" },
      },
      { rulesOnly: true },
    );
    ids.push(task.id);
  }
  return ids;
}

async function until(check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function attemptsOf(taskId: number) {
  const { rows } = await database.client.query(
    "SELECT number, outcome, error FROM attempts WHERE task_id = $1 ORDER BY number",
    [taskId],
  );
  return rows as { number: number; outcome: string; error: string | null }[];
}

describe("engines sharing a PostgreSQL database", () => {
  it("a worker given categories claims only theirs, at most `concurrency` at once", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const filer = await worker({ start: false });
    const content = await file(filer.engine, "content", 3);
    const support = await file(filer.engine, "support", 2);
    const { engine, ran } = await worker({ categories: ["content"], concurrency: 1, gate });
    expect(engine.pool.categories).toEqual(["content"]);
    engine.pool.kick();
    await until(() => ran.length === 1);
    // `content` allows 2 at once; this process, 1.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ran).toEqual([content[0]]);
    open();
    await until(() => ran.length === 3);
    expect(ran).toEqual(content);
    for (const id of support) expect((await engine.task(id)).state).toBe("queued");
  });

  it("refuses categories the config does not have, naming them", async () => {
    await expect(worker({ categories: ["content", "nope"] })).rejects.toThrow(
      /no category named nope \(the categories: support, content/,
    );
  });

  it("starting up, it leaves the running tasks of live processes alone and recovers expired leases", async () => {
    const gate = new Promise<void>(() => {});
    const first = await worker({ categories: ["content"], gate });
    const [id] = await file(first.engine, "content");
    first.engine.pool.kick();
    await until(() => first.ran.length === 1);

    const second = await worker({ categories: ["content"] });
    expect((await second.engine.task(id!)).state).toBe("running");

    // The first process stops renewing (frozen, cut off): once its lease runs out, a pass of
    // any other process returns the task to the queue and runs it again.
    await database.client.query("UPDATE tasks SET lease_expires_at = 0 WHERE id = $1", [id]);
    await second.engine.pool.tick();
    await until(() => second.ran.includes(id!));
    const events = await second.engine.events(id!);
    expect(events.map((event) => event.reason)).toContain(
      "lease expired: its worker stopped renewing it",
    );
  });

  it("a stopped process's task runs again elsewhere before its lease ends; the stopped run, if it wakes, writes nothing", async () => {
    const release = { first: () => {}, second: () => {} };
    const gate = (name: keyof typeof release) =>
      new Promise<void>((resolve) => {
        release[name] = resolve;
      });
    const first = await worker({ categories: ["content"], gate: gate("first") });
    const [id] = await file(first.engine, "content");
    first.engine.pool.kick();
    await until(() => first.ran.length === 1);
    const second = await worker({ categories: ["content"], gate: gate("second") });
    await second.engine.pool.tick();
    expect((await second.engine.task(id!)).state).toBe("running");

    // What a killed process leaves: its registration, silent for over three beats, and the
    // lease it held, with most of a minute still to run.
    const killed = "gone-host:1:dead";
    await database.client.query(
      "INSERT INTO processes (id, host, pid, started_at, heartbeat_at) VALUES ($1, 'gone-host', 1, 0, $2)",
      [killed, Date.now() - STALE_AFTER_MS - 1_000],
    );
    await database.client.query("UPDATE tasks SET lease_owner = $1 WHERE id = $2", [killed, id]);
    const { rows } = await database.client.query(
      "SELECT lease_expires_at FROM tasks WHERE id = $1",
      [id],
    );
    expect(Number(rows[0].lease_expires_at)).toBeGreaterThan(Date.now() + 30_000);
    await second.engine.pool.tick();
    await until(() => second.ran.includes(id!));

    // The first run wakes while the second holds the task: its output is not written.
    release.first();
    await until(async () => (await attemptsOf(id!))[0]?.error === "the task moved on while it ran");
    expect((await second.engine.task(id!)).state).toBe("running");
    release.second();
    await until(async () => (await second.engine.task(id!)).state === "done");
    expect(await attemptsOf(id!)).toEqual([
      { number: 1, outcome: "abandoned", error: "the task moved on while it ran" },
      { number: 2, outcome: "succeeded", error: null },
    ]);
    const reasons = (await second.engine.events(id!)).map((event) => event.reason);
    expect(reasons).toContain("its process stopped: no heartbeat from it");
    expect(reasons.filter((reason) => reason === "output passed review")).toHaveLength(1);
  });

  it("a run whose task was queued again meanwhile (its process seen stopped) is stopped at its next lease renewal", async () => {
    const first = await worker({
      categories: ["content"],
      gate: new Promise(() => {}),
      leaseMs: 3_000,
    });
    const [id] = await file(first.engine, "content");
    first.engine.pool.kick();
    await until(() => first.ran.length === 1);
    expect(first.engine.pool.running).toBe(1);

    // Another process saw this one as stopped (a pause past three beats) and requeued its task.
    const second = await worker({ categories: ["content"], start: false });
    const requeued = await second.opened.store.queue.recoverStopped(
      Date.now() + 60_000,
      "seen stopped",
    );
    expect(requeued.map((task) => task.id)).toEqual([id]);

    // Renewing finds the lease gone: the run is stopped, its slot freed, and nothing written.
    await until(() => first.stopped.length === 1, 5_000);
    expect(first.stopped).toEqual(["LeaseLost"]);
    await until(() => first.engine.pool.running === 0);
    expect(await second.engine.task(id!)).toMatchObject({ state: "queued", leaseOwner: null });
    expect(await attemptsOf(id!)).toEqual([
      { number: 1, outcome: "abandoned", error: "seen stopped" },
    ]);
  });

  it("a task one process's worker confirms, another's router learns without a restart", async () => {
    const serving = await worker({ categories: ["support"] });
    const working = await worker({ categories: ["content"] });
    const text = "Objective: Draft a blog post about our launch\nDone when: under 500 words";
    const { task } = await serving.engine.submit({ source: "console", requester: "owner", text });
    expect(task).toMatchObject({ category: "content", state: "queued" });
    expect(task.routing.rule).not.toBe("explicit");
    await until(async () => (await working.engine.task(task.id))?.state === "done");

    // The worker's own router learned it as the task was done; the other's learns it now, once.
    expect(await working.engine.learning.refresh()).toBe(0);
    expect(await serving.engine.learning.refresh()).toBe(1);
    expect(await serving.engine.learning.refresh()).toBe(0);
  });

  it("work queued by one process wakes an idle one at once, not on its next poll", async () => {
    const idle = await worker({ pollMs: 60_000, listen: true });
    // Its first pass found nothing: only a notice can wake it before a minute is up.
    await idle.engine.pool.idle();
    const filer = await worker({ start: false });
    const started = Date.now();
    const [id] = await file(filer.engine, "research");
    await until(() => idle.ran.includes(id!), 5_000);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("two deliverers at once (a role changing hands mid-send) never send one message twice", async () => {
    const a = await worker({ start: false });
    const b = await worker({ start: false });
    await a.opened.store.tasks.write(async () => {
      for (let taskId = 1; taskId <= 40; taskId++) {
        await a.opened.store.outbox.add(
          { kind: "task_done", taskId, destination: { kind: "reply" } },
          `done:${taskId}`,
        );
      }
    });
    const sent: number[] = [];
    const pump = (engine: Engine) =>
      new OutboxPump({
        ...engineOutbox(engine),
        logger: silentLogger,
        batch: 7,
        deliver: async ({ message }) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          if (message.kind === "task_done") sent.push(message.taskId);
        },
      });
    const pumps = [pump(a.engine), pump(b.engine)];
    for (let round = 0; round < 8; round++) await Promise.all(pumps.map((p) => p.drain()));
    expect(sent.toSorted((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it("a process that starts on another config file than those running says so, naming them", async () => {
    const warned = (into: unknown[][]): Logger => ({
      ...silentLogger,
      warn: (...line) => into.push(line),
    });
    const first: unknown[][] = [];
    await worker({ logger: warned(first) });
    const same: unknown[][] = [];
    await worker({ logger: warned(same) });
    const stale = readFileSync("config/steward.yaml", "utf8").replace("delay: 2s", "delay: 5s");
    const edited = parseConfig(stale, "config/steward.yaml", {});
    const other: unknown[][] = [];
    await worker({ config: edited, logger: warned(other) });

    // The first had no one to differ from, the second runs the same file: neither says a thing.
    expect([...first, ...same]).toEqual([]);
    const fingerprint = config().fingerprint;
    expect(edited.fingerprint).not.toBe(fingerprint);
    expect(other).toEqual([
      [
        "not every process runs this config file: give every host the same steward.yaml (and corpus)",
        {
          config: edited.fingerprint,
          others: [
            { host: expect.any(String), pid: process.pid, config: fingerprint },
            { host: expect.any(String), pid: process.pid, config: fingerprint },
          ],
        },
      ],
    ]);
  });
});
