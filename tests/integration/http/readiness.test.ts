import { describe, expect, it } from "vitest";
import { Scheduler } from "../../../src/engine/scheduler.js";
import { startTestServer } from "./setup.js";

async function probe(url: string, path: "/livez" | "/readyz") {
  const response = await fetch(`${url}${path}`);
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** A real scheduler behind the real server: readiness is what the scheduler measures. */
async function withScheduler(heartbeatMs?: number) {
  let scheduler: Scheduler | undefined;
  const started = await startTestServer({
    health: () => ({
      chat: { ok: true, status: "console" },
      scheduler: scheduler?.health() ?? { ok: false, status: "not built" },
    }),
  });
  scheduler = new Scheduler(started.engine, { heartbeatMs });
  return { ...started, scheduler };
}

describe("GET /livez and /readyz", () => {
  it("/readyz is 503 once the scheduler is stopped, while /livez stays 200", async () => {
    const { server, scheduler } = await withScheduler();
    await scheduler.start();
    const ready = await probe(server.url, "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({ status: "ok", db: "ok", failing: [] });
    expect(ready.json.scheduler).toMatch(/^ok \(last tick \d+s ago\)$/);

    scheduler.stop();
    const stopped = await probe(server.url, "/readyz");
    expect(stopped.status).toBe(503);
    expect(stopped.json).toMatchObject({ scheduler: "stopped", failing: ["scheduler"] });
    expect(await probe(server.url, "/livez")).toEqual({ status: 200, json: { status: "ok" } });
  });

  it("a scheduler whose beat has not come for three beats is stalled", async () => {
    const { scheduler } = await withScheduler(1000);
    await scheduler.start();
    expect(scheduler.health().ok).toBe(true);
    expect(scheduler.health(Date.now() + 3500)).toEqual({
      ok: false,
      status: "stalled: last tick 4s ago",
    });
    scheduler.stop();
  });

  it("the scheduler ticks on its beat, so readiness follows a live loop", async () => {
    const { scheduler } = await withScheduler(50);
    await scheduler.start();
    await new Promise((wait) => setTimeout(wait, 200));
    // Three beats without ticks would read stalled; the beat keeps it at most one beat old.
    expect(scheduler.health(Date.now() + 60).ok).toBe(true);
    scheduler.stop();
  });

  it("/readyz is 503 when the database cannot take the write lock", async () => {
    const { server, database } = await withScheduler();
    database.close();
    const { status, json } = await probe(server.url, "/readyz");
    expect(status).toBe(503);
    expect(json.failing).toEqual(["db", "scheduler"]);
  });
});
