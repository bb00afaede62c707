import type { IncomingMessage, ServerResponse } from "node:http";
import { RestError } from "./errors.js";
import type { FakeState, RecordedFile, RecordedRequest } from "./state.js";

export interface RestRequest {
  method: string;
  /** Path below `/api/v10`. */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  files: RecordedFile[];
  /** `METHOD /path`, for logs. */
  via: string;
}

export interface RestReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** Segments; `:name` captures one (so `:messageId` also matches `@original`). */
  pattern: string;
  /** Interaction callbacks and webhook-token routes carry no bot token (discord.js sends none). */
  auth?: false;
  handle(request: RestRequest): RestReply | Promise<RestReply>;
}

export const ok = (body: unknown, status = 200): RestReply => ({ status, body });
export const noContent = (): RestReply => ({ status: 204 });

export interface RestFault {
  status: number;
  /** Fail this many matching requests, then recover. */
  times?: number;
  /** Fail until this returns true. Without `times` or `until`: until `stop()`/`clearFaults()`. */
  until?: () => boolean;
  match?: (method: string, path: string) => boolean;
  /** For 429: seconds in `Retry-After` and the body's `retry_after` (discord.js waits, then retries). */
  retryAfter?: number;
  /**
   * Carry the request out, then answer `status`: Discord acted but its answer was lost (a
   * timeout, a 5xx from a proxy), so the bot cannot know and may send it again.
   */
  lostAnswer?: boolean;
}

export interface FaultHandle {
  /** Requests this fault answered. */
  readonly hits: number;
  readonly active: boolean;
  stop(): void;
}

interface ActiveFault {
  fault: RestFault;
  hits: number;
  stopped: boolean;
}

function matchPattern(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/").filter(Boolean);
  const got = path.split("/").filter(Boolean);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (const [i, segment] of want.entries()) {
    const actual = got[i] ?? "";
    if (segment.startsWith(":")) params[segment.slice(1)] = decodeURIComponent(actual);
    else if (segment !== actual) return null;
  }
  return params;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** JSON, or multipart with `payload_json` + `files[n]` (what discord.js sends with attachments). */
async function parseBody(
  raw: Buffer,
  contentType: string,
): Promise<{ body: unknown; files: RecordedFile[] }> {
  if (raw.length === 0) return { body: undefined, files: [] };
  if (contentType.startsWith("application/json")) {
    return { body: JSON.parse(raw.toString("utf8")), files: [] };
  }
  if (contentType.startsWith("multipart/form-data")) {
    const form = await new Response(raw, { headers: { "content-type": contentType } }).formData();
    const files: RecordedFile[] = [];
    let body: Record<string, unknown> = {};
    for (const [field, value] of form) {
      if (typeof value !== "string") {
        const bytes = Buffer.from(await value.arrayBuffer());
        const type = value.type || "application/octet-stream";
        files.push({ field, name: value.name, contentType: type, bytes });
      } else if (field === "payload_json") {
        body = { ...body, ...(JSON.parse(value) as Record<string, unknown>) };
      } else {
        body[field] = value;
      }
    }
    return { body, files };
  }
  return { body: raw.toString("utf8"), files: [] };
}

const statusText: Record<number, string> = {
  401: "401: Unauthorized",
  404: "404: Not Found",
  405: "405: Method Not Allowed",
  500: "500: Internal Server Error",
  502: "502: Bad Gateway",
  503: "503: Service Unavailable",
  504: "504: Gateway Timeout",
};

export class FakeRest {
  private faults: ActiveFault[] = [];

  constructor(
    private readonly state: FakeState,
    private readonly routes: Route[],
  ) {}

  fail(fault: RestFault): FaultHandle {
    const active: ActiveFault = { fault, hits: 0, stopped: false };
    this.faults.push(active);
    return {
      get hits() {
        return active.hits;
      },
      get active() {
        return !active.stopped;
      },
      stop: () => {
        active.stopped = true;
      },
    };
  }

  clearFaults(): void {
    for (const active of this.faults) active.stopped = true;
    this.faults = [];
  }

  private faultFor(method: string, path: string): ActiveFault | undefined {
    for (const active of this.faults) {
      const { fault } = active;
      if (active.stopped) continue;
      if (fault.times !== undefined && active.hits >= fault.times) active.stopped = true;
      else if (fault.until?.()) active.stopped = true;
      else if (!fault.match || fault.match(method, path)) return active;
    }
    return undefined;
  }

  /** Serves one `/api/v10/...` request and records it in `state.requests`. */
  async handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const method = request.method ?? "GET";
    const version = /^\/api\/v(\d+)(\/.*)?$/.exec(url.pathname);
    const path = version?.[2] ?? url.pathname.replace(/^\/api/, "");
    const entry: RecordedRequest = {
      at: this.state.elapsed(),
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      body: undefined,
      files: [],
      status: 0,
      response: undefined,
    };
    this.state.requests.push(entry);
    const reason = request.headers["x-audit-log-reason"];
    if (typeof reason === "string") entry.auditLogReason = decodeURIComponent(reason);
    const reply = await this.answer(request, entry, url, version?.[1]).catch((error: unknown) => {
      if (error instanceof RestError) return { status: error.status, body: error.body() };
      // A bug in the fake itself: make it loud rather than a silent 500 the bot retries.
      console.error("fake discord: route failed", method, path, error);
      return ok({ code: 0, message: `fake discord: ${String(error)}` }, 500);
    });
    entry.status = reply.status;
    entry.response = reply.body;
    const headers: Record<string, string> = { ...reply.headers };
    if (reply.body !== undefined) headers["content-type"] = "application/json";
    response.writeHead(reply.status, headers);
    response.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
  }

  private async answer(
    request: IncomingMessage,
    entry: RecordedRequest,
    url: URL,
    version: string | undefined,
  ): Promise<RestReply> {
    const { method, path } = entry;
    const parsed = await parseBody(await readBody(request), request.headers["content-type"] ?? "");
    entry.body = parsed.body;
    entry.files = parsed.files;
    if (version !== "10") {
      return ok({ code: 50041, message: "Invalid API version provided" }, 400);
    }
    const fault = this.faultFor(method, path);
    if (fault) {
      fault.hits++;
      entry.fault = true;
      // What the request did stays done; only its answer is replaced.
      if (fault.fault.lostAnswer) await this.route(request, entry, url, parsed).catch(() => {});
      const { status, retryAfter = 1 } = fault.fault;
      if (status === 429) {
        return {
          status,
          body: { message: "You are being rate limited.", retry_after: retryAfter, global: false },
          headers: { "retry-after": String(retryAfter), "x-ratelimit-scope": "user" },
        };
      }
      return ok({ code: 0, message: statusText[status] ?? `${status}` }, status);
    }
    return this.route(request, entry, url, parsed);
  }

  private async route(
    request: IncomingMessage,
    entry: RecordedRequest,
    url: URL,
    parsed: { body: unknown; files: RecordedFile[] },
  ): Promise<RestReply> {
    const { method, path } = entry;
    let allowed = false;
    for (const route of this.routes) {
      const params = matchPattern(route.pattern, path);
      if (!params) continue;
      allowed = true;
      if (route.method !== method) continue;
      entry.route = `${route.method} ${route.pattern}`;
      if (route.auth !== false && request.headers.authorization !== `Bot ${this.state.token}`) {
        return ok({ code: 0, message: statusText[401] }, 401);
      }
      return route.handle({
        method,
        path,
        params,
        query: url.searchParams,
        body: parsed.body,
        files: parsed.files,
        via: `${method} ${path}`,
      });
    }
    // Unknown routes answer like Discord and stay visible in `requests` (no `route`).
    return allowed
      ? ok({ code: 0, message: statusText[405] }, 405)
      : ok({ code: 0, message: statusText[404] }, 404);
  }
}
