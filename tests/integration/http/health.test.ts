import { describe, expect, it } from "vitest";
import { startTestServer } from "./setup.js";

async function healthz(url: string) {
  const response = await fetch(`${url}/healthz`);
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe("GET /healthz", () => {
  it("is 200 with every part ok", async () => {
    const { server } = await startTestServer();
    expect(await healthz(server.url)).toEqual({
      status: 200,
      json: {
        status: "ok",
        db: "ok",
        chat: "console",
        scheduler: "ok",
        paused_workers: [],
        processes: { live: [], stale: 0 },
        failing: [],
        degraded: [],
      },
    });
  });

  it("is 503 naming the database once it cannot answer SELECT 1", async () => {
    const { server, database, logger } = await startTestServer();
    database.close();
    const { status, json } = await healthz(server.url);
    expect(status).toBe(503);
    expect(json).toMatchObject({ status: "failing", chat: "console", failing: ["db"] });
    expect(json.db).toMatch(/^error: /);
    expect(logger.lines.at(-1)).toMatchObject({
      level: "warn",
      message: "healthz: 503 failing: db",
    });
  });

  it("stays 200 while Discord is down, reporting it as degraded (a restart would not help)", async () => {
    let connected = false;
    const { server } = await startTestServer({
      health: () => ({
        chat: { ok: connected, status: connected ? "discord connected" : "discord disconnected" },
        scheduler: { ok: true, status: "ok" },
      }),
    });
    const down = await healthz(server.url);
    expect(down.status).toBe(200);
    expect(down.json).toMatchObject({
      status: "ok",
      chat: "discord disconnected",
      failing: [],
      degraded: ["chat"],
    });
    connected = true;
    expect((await healthz(server.url)).json).toMatchObject({
      chat: "discord connected",
      degraded: [],
    });
  });

  it("is 503 naming the part the composition root reports down", async () => {
    let ticking = false;
    const { server, logger } = await startTestServer({
      health: () => ({
        chat: { ok: true, status: "console" },
        scheduler: { ok: ticking, status: ticking ? "ok" : "stalled: last tick 95s ago" },
      }),
    });
    const down = await healthz(server.url);
    expect(down.status).toBe(503);
    expect(down.json).toMatchObject({
      status: "failing",
      db: "ok",
      scheduler: "stalled: last tick 95s ago",
      failing: ["scheduler"],
    });
    // A second failing probe says nothing new: one line per change, not per probe.
    await healthz(server.url);
    ticking = true;
    const up = await healthz(server.url);
    expect(up.status).toBe(200);
    expect(up.json).toMatchObject({ status: "ok", scheduler: "ok", failing: [] });
    expect(logger.lines.filter((line) => line.message.startsWith("healthz"))).toEqual([
      {
        level: "warn",
        message: "healthz: 503 failing: scheduler",
        context: { failing: ["scheduler"] },
      },
      { level: "info", message: "healthz: 200 ok again", context: undefined },
    ]);
  });

  it("is 503 when the health callback itself throws", async () => {
    const { server } = await startTestServer({
      health: () => {
        throw new Error("scheduler handle is gone");
      },
    });
    const { status, json } = await healthz(server.url);
    expect(status).toBe(503);
    expect(json).toMatchObject({
      db: "ok",
      chat: "error: scheduler handle is gone",
      scheduler: "error: scheduler handle is gone",
      failing: ["scheduler"],
      degraded: ["chat"],
    });
  });
});
