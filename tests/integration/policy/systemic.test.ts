import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { OutboxKind } from "../../../src/core/outbox.js";
import { incidents } from "../../../src/db/schema.js";
import type { Engine } from "../../../src/engine/engine.js";
import { inOrder } from "../../helpers.js";
import {
  budgetLeft,
  listenOn,
  makeEngine,
  outboxMessages,
  policyConfig,
  reservePort,
  startEngine,
  submit,
  waitFor,
  waitForState,
} from "./helpers.js";

/** The outbox messages of one kind. */
async function ofKind(engine: Engine, kind: OutboxKind) {
  return (await outboxMessages(engine)).filter((message) => message.kind === kind);
}

const escalations = (engine: Engine) => ofKind(engine, "task_escalated");

describe("systemic failures", () => {
  it("pauses a worker after 3 connection failures on different tasks, probes it, and resumes when it is back", async () => {
    const port = await reservePort();
    const { engine, database } = makeEngine(
      policyConfig(`
        categories:
          - name: billing
            description: Charges
            examples: [charge]
            worker: api
            limits: { max_attempts: 3, concurrency: 1 }
        workers:
          api: { kind: http, url: "http://127.0.0.1:${port}/charge", timeout: 2s }
        policies:
          systemic: { pause: true, probe_every: 300ms, after_consecutive: 3 }
      `),
    );
    const ids = (
      await inOrder([1, 2, 3, 4, 5], (n) => submit(engine, "billing", `Charge customer ${n}`))
    ).map((task) => task.id);
    engine.start();

    await waitFor(() => engine.pool.isPaused("api"), 5000, "the api worker to be paused");

    // At the moment of the pause: one incident, one message, nothing escalated or running.
    const refused = `http worker "api": connection to http://127.0.0.1:${port}/charge failed (ECONNREFUSED)`;
    const opened = database.db.select().from(incidents).all();
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({
      worker: "api",
      resolvedAt: null,
      error: `${refused} (3 consecutive connection failures across tasks)`,
    });
    expect(await engine.openIncidents()).toHaveLength(1);
    expect(await escalations(engine)).toEqual([
      {
        kind: "task_escalated",
        taskId: ids[2],
        reason: `api is down: ${refused} (3 consecutive connection failures across tasks)`,
      },
    ]);
    // The operator hears of the outage once, at once: it skips the batching window.
    expect(await ofKind(engine, "escalation")).toHaveLength(1);
    const tripped = await engine.detail(ids[2]!);
    expect(tripped.events.at(-1)).toMatchObject({
      from: "running",
      to: "queued",
      actor: "system",
      reason: `dependency down: ${refused} (3 consecutive connection failures across tasks); api paused until a probe succeeds`,
    });
    expect(tripped.attempts).toMatchObject([{ outcome: "failed", failureClass: "systemic" }]);
    // The first two failures were ordinary transient ones; the third burns nothing.
    const budgets = () => inOrder(ids, (id) => budgetLeft(engine, id));
    expect(await budgets()).toEqual([2, 2, 3, 3, 3]);
    for (const id of ids.slice(0, 2)) {
      expect((await engine.detail(id)).attempts).toMatchObject([
        { outcome: "failed", failureClass: "transient", error: refused },
      ]);
    }
    for (const id of ids.slice(3)) expect((await engine.detail(id)).attempts).toEqual([]);

    // While it stays down, probes fail quietly: no new incident, message or burned attempt.
    await waitFor(
      () =>
        (database.db.select().from(incidents).get()?.probes ?? 0) >= 2 && engine.pool.running === 0,
      5000,
      "two probes",
    );
    expect(database.db.select().from(incidents).all()).toHaveLength(1);
    expect(await escalations(engine)).toHaveLength(1);
    expect(await ofKind(engine, "escalation")).toHaveLength(1);
    for (const id of ids) {
      expect(["queued", "retry_wait"]).toContain((await engine.task(id)).state);
    }
    expect(await budgets()).toEqual([2, 2, 3, 3, 3]);

    // The dependency comes back on the same port: the next probe succeeds and the queue drains.
    await listenOn(port, (response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ output: "charged" }));
    });
    for (const id of ids) await waitForState(engine, id, "done", 5000);

    expect(engine.pool.isPaused("api")).toBe(false);
    const [incident] = database.db.select().from(incidents).all();
    expect(incident?.resolvedAt).not.toBeNull();
    expect(incident?.probes).toBeGreaterThanOrEqual(3);
    expect(await engine.openIncidents()).toEqual([]);
    expect(await escalations(engine)).toHaveLength(1);
    expect(await ofKind(engine, "escalation")).toHaveLength(1);
    expect(await ofKind(engine, "escalation_resolved")).toHaveLength(1);
    expect(
      (await outboxMessages(engine))
        .filter((message) => message.kind === "task_done")
        .map((message) => message.taskId)
        .sort((a, b) => a - b),
    ).toEqual(ids);
  });

  it("a lone task's retries refused again and again mean the dependency is down, not bad luck", async () => {
    // Little traffic: one task, no other to fail beside it. Its third refused connection in a
    // row pauses the worker instead of burning its last attempt as a transient failure.
    const port = await reservePort();
    const { engine } = makeEngine(
      policyConfig(`
        categories:
          - name: billing
            description: Charges
            examples: [charge]
            worker: api
            limits: { max_attempts: 3, concurrency: 1 }
        workers:
          api: { kind: http, url: "http://127.0.0.1:${port}/charge", timeout: 2s }
        policies:
          systemic: { pause: true, probe_every: 10s, after_consecutive: 3 }
      `),
    );
    const task = await submit(engine, "billing", "Charge customer 1");
    engine.start();

    await waitFor(() => engine.pool.isPaused("api"), 5000, "the api worker to be paused");
    const refused = `http worker "api": connection to http://127.0.0.1:${port}/charge failed (ECONNREFUSED)`;
    expect((await engine.detail(task.id)).attempts).toMatchObject([
      { outcome: "failed", failureClass: "transient", error: refused },
      { outcome: "failed", failureClass: "transient", error: refused },
      {
        outcome: "failed",
        failureClass: "systemic",
        error: `${refused} (3 consecutive connection failures)`,
      },
    ]);
    expect((await engine.task(task.id)).state).toBe("queued");
    expect(await budgetLeft(engine, task.id)).toBe(1);
    expect(await engine.openIncidents()).toHaveLength(1);
  });

  it("pauses at once on an explicit SystemicError from a module worker, and resumes after a probe", async () => {
    const { engine, records, database } = makeEngine(
      policyConfig(`
        categories:
          - { name: invoices, description: Invoices, examples: [invoice], worker: billing }
        workers:
          billing: { kind: module, path: module-down.ts, timeout: 2s }
        policies:
          systemic: { pause: true, probe_every: 200ms, after_consecutive: 3 }
      `),
    );
    writeFileSync(path.join(records, "down"), "");
    const first = await submit(engine, "invoices", "Invoice ACME for March");
    const second = await submit(engine, "invoices", "Invoice Globex for March");
    engine.start();

    await waitFor(() => engine.pool.isPaused("billing"), 5000, "the billing worker to be paused");

    const error = "the billing API is down for maintenance";
    expect((await engine.detail(first.id)).attempts).toMatchObject([
      { outcome: "failed", failureClass: "systemic", error },
    ]);
    expect((await engine.detail(first.id)).events.at(-1)).toMatchObject({
      from: "running",
      to: "queued",
      reason: `dependency down: ${error}; billing paused until a probe succeeds`,
    });
    expect((await engine.task(first.id)).state).toBe("queued");
    expect(await budgetLeft(engine, first.id)).toBe(3);
    expect((await engine.detail(second.id)).attempts).toEqual([]);
    expect(database.db.select().from(incidents).all()).toMatchObject([
      { worker: "billing", error, resolvedAt: null },
    ]);
    expect(await escalations(engine)).toEqual([
      { kind: "task_escalated", taskId: first.id, reason: `billing is down: ${error}` },
    ]);
    expect(await ofKind(engine, "escalation")).toHaveLength(1);

    rmSync(path.join(records, "down"));
    await waitForState(engine, first.id, "done");
    await waitForState(engine, second.id, "done");
    expect(engine.pool.isPaused("billing")).toBe(false);
    expect(await engine.openIncidents()).toEqual([]);
  });
});

describe("unrecognised errors", () => {
  const quotaConfig = (classify: string) =>
    policyConfig(`
      categories:
        - name: enrich
          description: Enrichment
          examples: [enrich]
          worker: vendor
          limits: { max_attempts: 2 }
      workers:
        vendor: { kind: module, path: module-quota.ts, timeout: 2s }
      policies:
        classify: ${classify}
        systemic: { pause: true, probe_every: 10s, after_consecutive: 3 }
    `);
  const error = "quota exceeded for org acme-inc";

  it("are systemic when a classify rule says so", async () => {
    const { engine } = startEngine(quotaConfig("[{ match: quota, class: systemic }]"));

    const task = await submit(engine, "enrich", "Enrich the ACME lead");
    await waitFor(() => engine.pool.isPaused("vendor"), 5000, "the vendor worker to be paused");

    expect((await engine.detail(task.id)).attempts).toMatchObject([
      { outcome: "failed", failureClass: "systemic", error },
    ]);
    expect((await engine.task(task.id)).state).toBe("queued");
    expect(await budgetLeft(engine, task.id)).toBe(2);
    expect(await engine.openIncidents()).toMatchObject([{ worker: "vendor", error }]);
    expect(await escalations(engine)).toEqual([
      { kind: "task_escalated", taskId: task.id, reason: `vendor is down: ${error}` },
    ]);
  });

  it("are transient when no rule matches", async () => {
    const { engine } = startEngine(quotaConfig("[]"));

    const task = await submit(engine, "enrich", "Enrich the ACME lead");
    await waitForState(engine, task.id, "escalated");

    expect((await engine.detail(task.id)).attempts).toMatchObject([
      { outcome: "failed", failureClass: "transient", error },
      { outcome: "failed", failureClass: "transient", error },
    ]);
    expect((await engine.detail(task.id)).events.at(-1)?.reason).toBe(
      `retries exhausted after 2 attempts: ${error}`,
    );
    expect(engine.pool.isPaused("vendor")).toBe(false);
    expect(await engine.openIncidents()).toEqual([]);
  });
});
