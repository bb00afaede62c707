import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConnectionError, isConnectionFailure } from "../../../src/core/connection-failure.js";
import {
  InputError,
  SystemicError,
  TransientError,
  WorkerFailure,
} from "../../../src/core/failures.js";
import { parseRetryAfter } from "../../../src/workers/kinds/http.js";
import { makeContext, makeTask, rejectionOf, reply, runnerFor, TestServer } from "./helpers.js";

const server = new TestServer();
let baseUrl: string;

beforeAll(async () => {
  baseUrl = await server.start();
});
afterAll(() => server.stop());
beforeEach(() => {
  server.requests.length = 0;
});

const runner = (extra: Record<string, unknown> = {}) =>
  runnerFor({ kind: "http", url: `${baseUrl}/work`, ...extra }, "helpdesk");

describe("http worker", () => {
  it("POSTs the task as JSON and returns the body as output", async () => {
    server.handler = (_request, response) => reply(response, 200, "  the reply  \n");
    const task = makeTask();
    const result = await runner()(task, makeContext());

    expect(result).toEqual({ output: "the reply" });
    const [request] = server.requests;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe("/work");
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request?.body ?? "")).toEqual(task);
    expect(request?.headers.authorization).toBeUndefined();
  });

  it("takes `output` from a JSON answer and keeps the rest as meta", async () => {
    const body = { output: "drafted", tokens: 120, costUsd: "free", model: "x" };
    server.handler = (_request, response) => reply(response, 200, JSON.stringify(body));
    const result = await runner()(makeTask(), makeContext());
    expect(result).toEqual({ output: "drafted", meta: { tokens: 120, model: "x" } });
  });

  it("sends the bearer token and configured headers", async () => {
    server.handler = (_request, response) => reply(response, 200, "ok");
    await runner({ token: "s3cret", headers: { "X-Team": "ops" } })(makeTask(), makeContext());
    expect(server.requests[0]?.headers.authorization).toBe("Bearer s3cret");
    expect(server.requests[0]?.headers["x-team"]).toBe("ops");
  });

  it("treats 503 as transient and honours Retry-After in seconds", async () => {
    server.handler = (_request, response) =>
      reply(response, 503, "maintenance", { "Retry-After": "7" });
    const error = await rejectionOf(runner()(makeTask(), makeContext()));
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).retryAfterMs).toBe(7000);
    expect((error as Error).message).toContain("HTTP 503");
    expect(isConnectionFailure(error)).toBe(false);
  });

  it("treats 429 and 408 as transient", async () => {
    for (const status of [429, 408]) {
      server.handler = (_request, response) => reply(response, status, "slow down");
      const error = await rejectionOf(runner()(makeTask(), makeContext()));
      expect(error).toBeInstanceOf(TransientError);
      expect((error as TransientError).retryAfterMs).toBeUndefined();
    }
  });

  it("reads Retry-After given as an HTTP date", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Tue, 31 Dec 2024 23:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it("treats 400 as an input error carrying the body", async () => {
    const long = `missing field customer_id. ${"x".repeat(1000)}`;
    server.handler = (_request, response) => reply(response, 400, long);
    const error = await rejectionOf(runner()(makeTask(), makeContext()));
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain("HTTP 400");
    expect((error as Error).message).toContain("missing field customer_id.");
    expect((error as Error).message.length).toBeLessThan(600);
  });

  it("treats 401 as systemic: the credentials, not the brief, are wrong", async () => {
    server.handler = (_request, response) => reply(response, 401, "bad token");
    const error = await rejectionOf(runner({ token: "wrong" })(makeTask(), makeContext()));
    expect(error).toBeInstanceOf(SystemicError);
  });

  it("recognises a refused connection as a connection failure", async () => {
    const closedUrl = await closedPortUrl();
    const run = runnerFor({ kind: "http", url: `${closedUrl}/work?key=hidden` });
    const error = await rejectionOf(run(makeTask(), makeContext()));

    expect(error).toBeInstanceOf(TransientError);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(isConnectionFailure(error)).toBe(true);
    expect((error as Error).message).toMatch(/connection to .* failed \(ECONNREFUSED\)/);
    expect((error as Error).message).not.toContain("hidden");
  });

  it("recognises an unknown host as a connection failure", async () => {
    const run = runnerFor({ kind: "http", url: "http://steward-no-such-host.invalid/work" });
    const error = await rejectionOf(run(makeTask(), makeContext()));
    expect(isConnectionFailure(error)).toBe(true);
    expect((error as Error).message).toMatch(/failed \((ENOTFOUND|EAI_AGAIN)\)/);
  });

  it("does not count other errors as connection failures", () => {
    expect(isConnectionFailure(new Error("boom"))).toBe(false);
    expect(isConnectionFailure(new TransientError("HTTP 503"))).toBe(false);
    expect(isConnectionFailure(undefined)).toBe(false);
  });

  it("aborts the request when the signal aborts", async () => {
    server.handler = () => {}; // never answers
    const controller = new AbortController();
    const started = Date.now();
    const running = runner()(makeTask(), makeContext({ signal: controller.signal }));
    setTimeout(() => controller.abort(new Error("timed out after 1m")), 50);
    const error = await rejectionOf(running);

    expect(Date.now() - started).toBeLessThan(1000);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).not.toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toBe("timed out after 1m");
  });

  it("leaves unexpected statuses unclassified", async () => {
    server.handler = (_request, response) => reply(response, 304, "");
    const error = await rejectionOf(runner()(makeTask(), makeContext()));
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(WorkerFailure);
  });
});

/** A URL on a port that was just free: nothing listens there. */
async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  probe.listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as AddressInfo;
  probe.close();
  await once(probe, "close");
  return `http://127.0.0.1:${port}`;
}
