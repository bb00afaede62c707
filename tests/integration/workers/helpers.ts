import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { workerSchema } from "../../../src/config/schema.js";
import type { Brief } from "../../../src/core/brief.js";
import { createWorkerRunner } from "../../../src/workers/registry.js";
import type { WorkerContext, WorkerRunner, WorkerTask } from "../../../src/workers/runner.js";

export const fixturesDir = fileURLToPath(new URL("../../fixtures/workers/", import.meta.url));
export const fixture = (name: string) => path.join(fixturesDir, name);

export const sampleBrief: Brief = {
  objective: "Reply to the customer whose parcel arrived damaged",
  inputs: ["ticket #4411", "order 9920"],
  constraints: ["no refund promises"],
  output_format: "a reply ready to paste into the ticket thread",
  acceptance_criteria: ["answers the customer's question", "polite and under 200 words"],
};

export function makeTask(brief: Partial<Brief> = {}): WorkerTask {
  return {
    id: 17,
    category: "support",
    requester: "discord:1234",
    source: "discord",
    attempt: 1,
    brief: { ...sampleBrief, ...brief },
  };
}

export function makeContext(overrides: Partial<WorkerContext> = {}): WorkerContext {
  return {
    signal: new AbortController().signal,
    env: { PATH: process.env.PATH },
    configDir: fixturesDir,
    ...overrides,
  };
}

/** A runner from config as written, so schema defaults apply exactly as in production. */
export function runnerFor(config: Record<string, unknown>, name = "test"): WorkerRunner {
  return createWorkerRunner(name, workerSchema.parse(config));
}

/** Whatever a promise rejects with (fails the test if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection, but it resolved");
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export type Handler = (request: RecordedRequest, response: ServerResponse) => void;

/** A real HTTP server on 127.0.0.1 whose handler each test sets. */
export class TestServer {
  readonly requests: RecordedRequest[] = [];
  handler: Handler = (_request, response) => response.end("ok");
  private readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const recorded = {
        method: request.method ?? "",
        url: request.url ?? "",
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      this.requests.push(recorded);
      this.handler(recorded, response);
    });
  });

  async start(): Promise<string> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, "close");
  }
}

export function reply(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, headers);
  response.end(body);
}
