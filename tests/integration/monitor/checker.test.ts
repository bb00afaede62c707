import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.js";
import { ManualClock } from "../../../src/core/clock.js";
import type { TaskState } from "../../../src/core/states.js";
import { asyncSqliteStore } from "../../../src/db/async-sqlite-store.js";
import type { OpenDatabase } from "../../../src/db/connection.js";
import { MonitorQueries } from "../../../src/db/monitor-queries.js";
import { anomalies, escalations, outbox, taskEvents, tasks } from "../../../src/db/schema.js";
import { sqliteStore } from "../../../src/db/sqlite-store.js";
import { startMonitor } from "../../../src/engine/monitor-schedule.js";
import { type CheckerDeps, runChecks } from "../../../src/monitor/checker.js";
import { StayHistory } from "../../../src/monitor/history.js";
import { insertTask, testDatabase } from "../../helpers.js";

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const config = parseConfig(
  `
categories:
  - name: support
    description: Replies to customers
    examples: ["Answer the refund request"]
    worker: demo
    limits: { stall: { queued: 1h, running: 30m } }
  - name: content
    description: Blog posts
    examples: ["Draft a blog post"]
    worker: demo
    then: support
  - name: research
    description: Comparisons
    examples: ["Compare providers"]
    worker: demo
  - name: unsorted
    description: Anything else
    examples: ["Anything"]
    catch_all: true
workers:
  demo: { kind: demo }
monitor: { every: "*/15 * * * *", stall_factor: 3 }
escalation: { remind_after: 4h }
`,
  "test.yaml",
  {},
);

/** The checker over the asynchronous face of the SQLite store, its queries capped at `maxRows`. */
function storeOn(database: OpenDatabase, clock: ManualClock, maxRows?: number) {
  return asyncSqliteStore({
    ...sqliteStore(database, clock),
    monitor: new MonitorQueries(database.sqlite, maxRows),
  });
}

function setUp() {
  const database = testDatabase();
  const clock = new ManualClock(NOW);
  const store = storeOn(database, clock);
  const deps: CheckerDeps = {
    config,
    queries: store.monitor,
    outbox: store.outbox,
    processes: store.processes,
  };
  // The SQLite queries themselves, not only the port the checker sees: a test reads their plans.
  const plans = () => new MonitorQueries(database.sqlite).plans();
  const check = () => runChecks(deps, clock.now());
  return { database, clock, deps, check, store, plans };
}

function openAnomalies(database: OpenDatabase) {
  return database.db
    .select()
    .from(anomalies)
    .all()
    .filter((row) => row.resolvedAt === null);
}

function outboxKinds(database: OpenDatabase): string[] {
  return database.db
    .select()
    .from(outbox)
    .all()
    .map((row) => row.kind);
}

/** A finished task whose history has one `state` stay of `duration` ms, ending at `endedAt`. */
function finishedWithStay(
  database: OpenDatabase,
  category: string,
  state: TaskState,
  duration: number,
  endedAt: number,
): void {
  const task = insertTask(database, {
    state: "done",
    category,
    stateSince: endedAt,
    deliveredAt: endedAt,
    nextId: 1,
  });
  const events = [
    { from: "intake", to: state, at: endedAt - duration },
    { from: state, to: "done", at: endedAt },
  ] as const;
  for (const event of events) {
    database.db
      .insert(taskEvents)
      .values({ taskId: task.id, actor: "system", reason: "test", ...event })
      .run();
  }
}

describe("the status checker, against a real SQLite file", () => {
  it("flags a task stalled past its threshold once, and closes it when the task moves on", async () => {
    const { database, clock, check } = setUp();
    const stuck = insertTask(database, {
      category: "support",
      state: "queued",
      stateSince: NOW - 2 * HOUR,
    });
    insertTask(database, { category: "support", state: "queued", stateSince: NOW - 10 * MINUTE });

    const first = await check();
    clock.advance(15 * MINUTE);
    const second = await check();

    expect(first).toMatchObject({ raised: 1, resolved: 0, open: 1, problems: [] });
    expect(second).toMatchObject({ raised: 0, resolved: 0, open: 1 });
    expect(openAnomalies(database)).toEqual([
      expect.objectContaining({
        rule: "stalled.threshold",
        taskId: stuck.id,
        subject: `task:${stuck.id}:queued`,
        detectedAt: NOW,
        detail: expect.stringContaining("queued for 2h"),
      }),
    ]);
    expect(outboxKinds(database)).toEqual(["anomalies"]);
    const [message] = database.db.select().from(outbox).all();
    expect(message?.payload).toEqual({
      kind: "anomalies",
      anomalyIds: [openAnomalies(database)[0]?.id],
    });

    database.db
      .update(tasks)
      .set({ state: "running", stateSince: clock.now() })
      .where(eq(tasks.id, stuck.id))
      .run();
    clock.advance(15 * MINUTE);
    const third = await check();

    expect(third).toMatchObject({ raised: 0, resolved: 1, open: 0 });
    const [closed] = database.db.select().from(anomalies).all();
    expect(closed?.resolvedAt).toBe(clock.now());
    expect(outboxKinds(database)).toEqual(["anomalies"]);
  });

  it("sends one reminder for an unanswered escalation, and keeps it open until answered", async () => {
    const { database, clock, check } = setUp();
    const escalation = database.db
      .insert(escalations)
      .values({
        state: "open",
        rootCause: "transient:demo",
        summary: "demo worker keeps timing out",
        createdAt: NOW - 5 * HOUR,
        postAfter: NOW - 5 * HOUR,
        postedAt: NOW - 5 * HOUR,
      })
      .returning()
      .get();

    const first = await check();
    clock.advance(15 * MINUTE);
    const second = await check();

    expect(first).toMatchObject({ raised: 1, reminded: 1 });
    expect(second).toMatchObject({ raised: 0, reminded: 0, open: 1 });
    const reminders = database.db.select().from(outbox).where(eq(outbox.kind, "reminder")).all();
    expect(reminders).toEqual([
      expect.objectContaining({ key: `reminder:${escalation.id}`, escalationId: escalation.id }),
    ]);
    const stored = database.db
      .select()
      .from(escalations)
      .where(eq(escalations.id, escalation.id))
      .get();
    expect(stored?.remindedAt).toBe(NOW);

    database.db
      .update(escalations)
      .set({ state: "resolved" })
      .where(eq(escalations.id, escalation.id))
      .run();
    expect(await check()).toMatchObject({ resolved: 1, open: 0, reminded: 0 });
  });

  it("uses the median once a category has 20 completed stays in a state", async () => {
    const { database, deps, check } = setUp();
    for (let index = 0; index < 19; index += 1) {
      finishedWithStay(database, "research", "running", 10 * MINUTE, NOW - (index + 1) * HOUR);
    }
    const slow = insertTask(database, {
      category: "research",
      state: "running",
      stateSince: NOW - 35 * MINUTE,
    });
    const history = new StayHistory();
    const withHistory = () => runChecks({ ...deps, history }, NOW);

    expect(await withHistory()).toMatchObject({ raised: 0 });

    finishedWithStay(database, "research", "running", 10 * MINUTE, NOW - 30 * HOUR);
    // The kept history reads only the new events; a fresh run reads them all: both agree.
    expect(await withHistory()).toMatchObject({ raised: 1 });
    expect(await check()).toMatchObject({ raised: 0, open: 1 });
    expect(openAnomalies(database)).toEqual([
      expect.objectContaining({
        rule: "stalled.median",
        subject: `task:${slow.id}:running`,
        detail: expect.stringContaining("usual 10m in research (median of 20 stays)"),
      }),
    ]);
  });

  it("finds exhausted and last retries, missing next steps and missing deliveries", async () => {
    const { database, check } = setUp();
    const exhausted = insertTask(database, {
      category: "research",
      state: "escalated",
      attempts: 3,
    });
    const approaching = insertTask(database, {
      category: "research",
      state: "retry_wait",
      attempts: 2,
    });
    insertTask(database, { category: "research", state: "retry_wait", attempts: 1 });
    const orphan = insertTask(database, {
      category: "content",
      state: "done",
      stateSince: NOW - 5 * MINUTE,
      deliveredAt: NOW - 4 * MINUTE,
    });
    insertTask(database, {
      category: "research",
      state: "done",
      stateSince: NOW - 5 * MINUTE,
      deliveredAt: NOW,
    });
    const undelivered = insertTask(database, {
      category: "research",
      state: "done",
      stateSince: NOW - HOUR,
    });
    insertTask(database, { category: "research", state: "done", stateSince: NOW - 5 * MINUTE });

    expect(await check()).toMatchObject({ raised: 4, problems: [] });
    const found = openAnomalies(database).map((row) => [row.rule, row.taskId]);
    expect(found).toEqual(
      expect.arrayContaining([
        ["retries.exhausted", exhausted.id],
        ["retries.approaching", approaching.id],
        ["pipeline.missing_next", orphan.id],
        ["delivery.missing", undelivered.id],
      ]),
    );
  });

  it("reports a row it cannot read instead of throwing", async () => {
    const { database, check } = setUp();
    finishedWithStay(database, "research", "running", 10 * MINUTE, NOW - HOUR);
    database.sqlite
      .prepare("UPDATE task_events SET at = 'yesterday' WHERE \"from\" = 'running'")
      .run();
    insertTask(database, { category: "support", state: "queued", stateSince: NOW - 2 * HOUR });

    const summary = await check();

    expect(summary.raised).toBe(1);
    expect(summary.problems).toEqual([
      expect.stringContaining("1 running stays without a usable start or end"),
    ]);
  });

  it("processes on different config files raise one anomaly, which closes once the odd one goes", async () => {
    const { database, check, store } = setUp();
    const process = (id: string, host: string, config: string) => ({
      id,
      host,
      pid: 7,
      roles: [],
      categories: [],
      version: "1.0.0",
      config,
    });
    await store.processes.register(process("a", "box", "3f2a9c0d1b7e"));
    await store.processes.register(process("b", "gpu", "3f2a9c0d1b7e"));
    expect(await check()).toMatchObject({ raised: 0, open: 0 });

    await store.processes.register(process("c", "old", "77c01d5e9a24"));
    expect(await check()).toMatchObject({ raised: 1, open: 1, problems: [] });
    expect(await check()).toMatchObject({ raised: 0, open: 1 });
    expect(openAnomalies(database)).toEqual([
      expect.objectContaining({
        rule: "processes.config_drift",
        subject: "config:3f2a9c0d1b7e,77c01d5e9a24",
        detail:
          "processes run 2 different config files (3f2a9c0d1b7e on box pid 7, gpu pid 7; " +
          "77c01d5e9a24 on old pid 7): give every host the same steward.yaml (and corpus)",
      }),
    ]);
    // Posted with the other anomalies: Discord's anomalies message says it.
    expect(outboxKinds(database)).toEqual(["anomalies"]);

    await store.processes.gone("c");
    expect(await check()).toMatchObject({ raised: 0, resolved: 1, open: 0 });
  });

  it("bounds every read; a rule that did not see everything closes nothing", async () => {
    const { database, deps } = setUp();
    const capped: CheckerDeps = {
      ...deps,
      queries: storeOn(database, new ManualClock(NOW), 1).monitor,
    };
    const oldest = insertTask(database, {
      category: "support",
      state: "queued",
      stateSince: NOW - 3 * HOUR,
    });
    insertTask(database, { category: "support", state: "queued", stateSince: NOW - 2 * HOUR });
    insertTask(database, { category: "support", state: "queued", stateSince: NOW - 2 * HOUR });

    const first = await runChecks(capped, NOW);
    database.db
      .update(tasks)
      .set({ state: "running", stateSince: NOW })
      .where(eq(tasks.id, oldest.id))
      .run();
    const second = await runChecks(capped, NOW);

    expect(first).toMatchObject({ raised: 1, resolved: 0 });
    expect(first.problems).toEqual([expect.stringContaining("more than the row cap matched")]);
    // The oldest moved on, but a capped read cannot tell "cleared" from "not read": kept open.
    expect(second).toMatchObject({ raised: 1, resolved: 0, open: 2 });
    expect(await runChecks(deps, NOW)).toMatchObject({ raised: 1, resolved: 1, open: 2 });
  });

  it("reads through indexes only: no plan scans a table", async () => {
    const { plans: planOf } = setUp();
    const plans = Object.entries(planOf());
    expect(plans.length).toBeGreaterThan(5);
    // Scanning a partial index is reading exactly its few rows; any other SCAN is a table scan.
    const scan = /^SCAN (?!\w+ USING (COVERING )?INDEX tasks_(retries|undelivered|missing_next)\b)/;
    for (const [name, plan] of plans) {
      expect({ name, scans: plan.filter((step) => scan.test(step)) }).toEqual({ name, scans: [] });
    }
  });

  it("runs on demand through the schedule, and stops", async () => {
    const { database, clock, store } = setUp();
    insertTask(database, { category: "support", state: "running", stateSince: NOW - HOUR });
    const summaries: number[] = [];
    const monitor = startMonitor({
      config,
      queries: store.monitor,
      outbox: store.outbox,
      processes: store.processes,
      clock,
      onRun: (summary) => summaries.push(summary.raised),
    });

    expect(monitor.nextRun()).toBeInstanceOf(Date);
    expect(await monitor.runNow()).toMatchObject({ raised: 1, open: 1 });
    expect(await monitor.runNow()).toMatchObject({ raised: 0, open: 1 });
    monitor.stop();

    expect(summaries).toEqual([1, 0]);
    expect(monitor.nextRun()).toBeNull();
  });
});
