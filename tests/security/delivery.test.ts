/**
 * Attacks on where an output goes. Task text chooses the destination (`file:…`, a URL), so a
 * requester may aim it anywhere: only `delivery.dir` and `delivery.allowed_urls` may receive it.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deliverOutput, RefusedDestination } from "../../src/adapters/delivery/outputs.js";
import { loadConfigFile } from "../../src/config/load.js";
import type { Destination } from "../../src/core/destination.js";
import { urlRefusal } from "../../src/core/url-fence.js";
import { Engine } from "../../src/engine/engine.js";
import { insertTask, tempDir, testDatabase } from "../helpers.js";
import { reply, TestServer } from "../integration/workers/helpers.js";

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

async function receiver(): Promise<{ server: TestServer; url: string }> {
  const server = new TestServer();
  servers.push(server);
  server.handler = (_request, response) => reply(response, 200, "");
  return { server, url: await server.start() };
}

const database = () => testDatabase();

function doneTask() {
  return insertTask(database(), { state: "done", output: "the confidential output" });
}

async function refusalOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("the URL fence compares parsed URLs, not strings", () => {
  const allowed = ["https://hooks.example.com/steward/", "http://127.0.0.1:1880"];
  it.each([
    ["a look-alike host", "https://hooks.example.com.evil.net/steward/x"],
    ["a longer port that starts with the allowed one", "http://127.0.0.1:18802/x"],
    ["another scheme", "http://hooks.example.com/steward/x"],
    ["credentials", "https://user:pw@hooks.example.com/steward/x"],
    ["a host hidden behind credentials", "https://hooks.example.com@evil.net/steward/x"],
    ["dot segments", "https://hooks.example.com/steward/../admin"],
    ["encoded dot segments", "https://hooks.example.com/steward/%2e%2e/admin"],
    ["an encoded slash", "https://hooks.example.com/steward/..%2fadmin"],
    ["a path that only shares the prefix's letters", "https://hooks.example.com/stewardship"],
    ["not a URL", "https://"],
  ])("refuses %s", (_name, url) => {
    expect(urlRefusal(url, allowed)).toMatch(/delivery\.allowed_urls|not a valid/);
  });

  it.each([
    "https://hooks.example.com/steward/",
    "https://hooks.example.com/steward/weekly?x=1",
    "https://HOOKS.example.com:443/steward/a/./b",
    "http://127.0.0.1:1880/",
    "http://127.0.0.1:1880/any/path",
  ])("allows %s", (url) => {
    expect(urlRefusal(url, allowed)).toBeUndefined();
  });
});

describe("delivering to a URL", () => {
  it("a port that merely starts with the allowed port receives nothing", async () => {
    const { server, url } = await receiver();
    const prefix = url.slice(0, -1); // http://127.0.0.1:4123 for a server on :41234
    const destination: Destination = { kind: "webhook", url: `${url}/hook` };
    const error = await refusalOf(
      deliverOutput(doneTask(), destination, { dir: tempDir(), allowed_urls: [prefix] }),
    );
    expect(error).toBeInstanceOf(RefusedDestination);
    expect(server.requests).toEqual([]);
  });

  it("dot segments cannot climb out of an allowed path", async () => {
    const { server, url } = await receiver();
    for (const path of ["/hooks/../admin", "/hooks/%2e%2e/admin", "/hooks/%2E%2E/admin"]) {
      const destination: Destination = { kind: "webhook", url: `${url}${path}` };
      const error = await refusalOf(
        deliverOutput(doneTask(), destination, { dir: tempDir(), allowed_urls: [`${url}/hooks/`] }),
      );
      expect(error, path).toBeInstanceOf(RefusedDestination);
    }
    expect(server.requests).toEqual([]);
  });

  it("a redirect is not followed: the output never reaches where it points", async () => {
    const elsewhere = await receiver();
    const allowed = await receiver();
    allowed.server.handler = (_request, response) =>
      reply(response, 307, "", { location: `${elsewhere.url}/stolen` });
    const destination: Destination = { kind: "webhook", url: `${allowed.url}/hook` };
    const error = await refusalOf(
      deliverOutput(doneTask(), destination, { dir: tempDir(), allowed_urls: [allowed.url] }),
    );
    expect(error).toBeInstanceOf(RefusedDestination);
    expect((error as Error).message).toMatch(/307.*redirect/);
    expect(allowed.server.requests).toHaveLength(1);
    expect(elsewhere.server.requests).toEqual([]);
  });
});

describe("delivering to a file", () => {
  function folders() {
    const root = tempDir();
    const dir = join(root, "outputs");
    const outside = join(root, "outside");
    mkdirSync(dir);
    mkdirSync(outside);
    return { dir, outside, config: { dir, allowed_urls: [] } };
  }

  it("a path that climbs out of the folder is refused", async () => {
    const { config, outside } = folders();
    const error = await refusalOf(
      deliverOutput(doneTask(), { kind: "file", path: "../outside/x.md" }, config),
    );
    expect(error).toBeInstanceOf(RefusedDestination);
    expect(existsSync(join(outside, "x.md"))).toBe(false);
  });

  it("a symlinked folder inside delivery.dir does not lead outside it", async () => {
    const { dir, outside, config } = folders();
    symlinkSync(outside, join(dir, "link"));
    for (const path of ["link/x.md", "link/deeper/x.md"]) {
      const error = await refusalOf(deliverOutput(doneTask(), { kind: "file", path }, config));
      expect(error, path).toBeInstanceOf(RefusedDestination);
    }
    expect(existsSync(join(outside, "x.md"))).toBe(false);
    expect(existsSync(join(outside, "deeper"))).toBe(false);
  });

  it("a symlinked file is never followed: what it points at is left alone", async () => {
    const { dir, outside, config } = folders();
    const victim = join(outside, "victim.md");
    writeFileSync(victim, "precious\n");
    symlinkSync(victim, join(dir, "report.md"));
    const task = doneTask();
    const where = await deliverOutput(task, { kind: "file", path: "report.md" }, config);
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    expect(where).toBe(`the file report.T-${task.id}.md`);
    expect(readFileSync(join(dir, `report.T-${task.id}.md`), "utf8")).toContain("confidential");
  });

  it("another task's file is never replaced: the second output gets a name of its own", async () => {
    const { dir, config } = folders();
    const first = doneTask();
    const second = insertTask(database(), {
      state: "done",
      output: "the second output",
      id: first.id + 7,
    });
    await deliverOutput(first, { kind: "file", path: "weekly.md" }, config);
    const where = await deliverOutput(second, { kind: "file", path: "weekly.md" }, config);
    expect(readFileSync(join(dir, "weekly.md"), "utf8")).toContain("confidential");
    expect(where).toBe(`the file weekly.T-${second.id}.md`);
    expect(readFileSync(join(dir, `weekly.T-${second.id}.md`), "utf8")).toBe("the second output\n");
  });
});

describe("a destination Steward would refuse, named in the brief", () => {
  function engineWith(allowed: string[]) {
    const config = loadConfigFile("config/steward.yaml", {});
    config.delivery = { dir: join(tempDir(), "outputs"), allowed_urls: allowed };
    return new Engine({ config, configDir: "config", database: testDatabase() });
  }

  it.each([
    [
      "a URL not allowed",
      "POST to https://hooks.example.com.evil.net/x",
      /is not in delivery\.allowed_urls/,
    ],
    ["a path outside the folder", "file:../../etc/cron.d/x.md", /outside the delivery folder/],
  ])("%s goes back to the requester before any work is done", async (_name, output, why) => {
    const engine = engineWith(["https://hooks.example.com/"]);
    const { task, missing } = await engine.submit({
      source: "console",
      requester: "owner",
      text: `Objective: Draft a blog post about the launch\nOutput: ${output}\nDone when: under 500 words`,
    });
    expect(task.state).toBe("needs_clarification");
    expect(missing).toEqual(["output_format"]);
    const [asked] = (await engine.outbox.pending(10, ["clarification"])).map(
      (pending) => pending.message,
    );
    expect(asked).toMatchObject({ kind: "clarification", note: expect.stringMatching(why) });
    // The requester names another destination: the task goes on.
    const answered = await engine.answer(task.id, { text: "file:launch/post.md" }, "owner");
    expect(answered.task.state).toBe("queued");
  });
});
