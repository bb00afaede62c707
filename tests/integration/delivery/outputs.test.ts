import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { outputDelivery } from "../../../src/adapters/delivery/pump.js";
import { redeliveryDelay } from "../../../src/adapters/outbox-pump.js";
import { loadConfigFile } from "../../../src/config/load.js";
import { ManualClock } from "../../../src/core/clock.js";
import { Engine } from "../../../src/engine/engine.js";
import { tempDir, testDatabase } from "../../helpers.js";
import { reply, TestServer } from "../workers/helpers.js";

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

/** A real HTTP server on 127.0.0.1 that answers with the given statuses in turn, then 200. */
async function receiver(statuses: number[] = []) {
  const bodies: unknown[] = [];
  const keys: unknown[] = [];
  const server = new TestServer();
  servers.push(server);
  server.handler = (request, response) => {
    const status = statuses.shift() ?? 200;
    keys.push(request.headers["idempotency-key"]);
    if (status === 200) bodies.push(JSON.parse(request.body));
    reply(response, status, "");
  };
  return { url: `${await server.start()}/hook`, bodies, keys };
}

async function doneTask(
  outputFormat: string,
  allowedUrls: string[] = [],
  clock = new ManualClock(Date.UTC(2026, 10, 24, 12)),
) {
  const dir = tempDir();
  const config = loadConfigFile("config/steward.yaml", {});
  config.workers["demo-writer"] = { kind: "demo", delay: 0, timeout: 5000 };
  config.delivery = { dir: join(dir, "outputs"), allowed_urls: allowedUrls };
  const engine = new Engine({
    config,
    configDir: "config",
    database: testDatabase(),
    pollMs: 10,
    clock,
  });
  engine.start();
  const { task } = await engine.submit({
    source: "console",
    requester: "owner",
    text: `Objective: Draft a blog post about the launch\nOutput: ${outputFormat}\nDone when: under 500 words`,
  });
  for (let i = 0; i < 200 && (await engine.task(task.id)).state !== "done"; i++)
    await new Promise((r) => setTimeout(r, 10));
  await engine.stop();
  return { engine, task: await engine.task(task.id), dir };
}

/** What the requester is told about the delivery, through the outbox. */
async function told(engine: Engine) {
  return (await engine.outbox.pending(10, ["output_delivery"])).map((pending) => pending.message);
}

describe("delivering outputs where the brief says", () => {
  it("a file destination is written below the delivery folder and the task marked delivered", async () => {
    const { engine, task, dir } = await doneTask("file:launch/post.md");
    await outputDelivery(engine).drain();
    const written = join(dir, "outputs", "launch", "post.md");
    expect(readFileSync(written, "utf8")).toContain("blog post about the launch");
    expect((await engine.task(task.id)).deliveredAt).not.toBeNull();
    expect(await told(engine)).toEqual([
      {
        kind: "output_delivery",
        taskId: task.id,
        delivered: true,
        detail: "the file launch/post.md",
      },
    ]);
  });

  it("a path that climbs out of the folder is refused, parked with its reason and left undelivered", async () => {
    const { engine, task, dir } = await doneTask("file:../../escape.md");
    await outputDelivery(engine).drain();
    expect(existsSync(join(dir, "..", "escape.md"))).toBe(false);
    expect((await engine.task(task.id)).deliveredAt).toBeNull();
    expect(await engine.outbox.pending(10, ["deliver_output"])).toEqual([]);
  });

  it("a webhook destination that is allowed receives the output once, after the server recovers", async () => {
    const hook = await receiver([503]);
    const clock = new ManualClock(Date.UTC(2026, 10, 24, 12));
    const { engine, task } = await doneTask(`POST to ${hook.url}`, [hook.url], clock);
    const pump = outputDelivery(engine);

    await pump.drain();
    expect(hook.bodies).toEqual([]);
    expect((await engine.task(task.id)).deliveredAt).toBeNull();

    clock.advance(redeliveryDelay(0));
    await pump.drain();
    await pump.drain();
    expect(hook.bodies).toEqual([
      expect.objectContaining({ task: `T-${task.id}`, category: "content" }),
    ]);
    // The failed try and the one that landed carry one key: a receiver can drop a repeat.
    expect(hook.keys).toEqual([`steward-output-T-${task.id}`, `steward-output-T-${task.id}`]);
    expect((await engine.task(task.id)).deliveredAt).not.toBeNull();
  });

  it("a webhook URL the config no longer allows when the output is ready is refused", async () => {
    const hook = await receiver();
    // Allowed when the brief was filed (intake asks again otherwise), not when delivered.
    const { engine, task } = await doneTask(`POST to ${hook.url}`, [hook.url]);
    engine.config.delivery.allowed_urls = [];
    await outputDelivery(engine).drain();
    expect(hook.bodies).toEqual([]);
    expect((await engine.task(task.id)).deliveredAt).toBeNull();
    // A destination no retry can fix is an input problem: the requester hears why, once.
    await outputDelivery(engine).drain();
    expect(await told(engine)).toEqual([
      {
        kind: "output_delivery",
        taskId: task.id,
        delivered: false,
        detail: expect.stringMatching(/is not in delivery\.allowed_urls$/),
      },
    ]);
  });
});
