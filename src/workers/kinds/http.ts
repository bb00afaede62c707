/**
 * HTTP worker: POSTs the task as JSON to a service; the response body is the output.
 *
 * Status map (shared with the llm kind through `postJson`):
 *   2xx                   success (a JSON body with a string `output` field: that field, the rest
 *                         of the object becomes meta; otherwise the whole body)
 *   408, 429, 5xx         transient, honouring Retry-After (seconds or an HTTP date)
 *   401, 403              systemic: the credentials are wrong, and every task would fail alike
 *   other 4xx             input, with the start of the response body in the message
 *   connection failures   ConnectionError (transient); the policy counts consecutive ones to
 *                         decide the dependency is down
 */

import { ConnectionError, connectionFailureCode } from "../../core/connection-failure.js";
import { coerceError } from "../../core/errors.js";
import { InputError, SystemicError, TransientError } from "../../core/failures.js";
import type { HttpWorkerConfig, WorkerResult, WorkerRunner } from "../runner.js";
import { abortError, cleanMeta, excerpt, isPlainObject, throwIfAborted } from "./common.js";

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; nonsense is ignored. */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The classified error for a non-2xx response, or undefined for success. */
export function httpStatusFailure(
  label: string,
  response: { status: number; statusText?: string; headers: { get(name: string): string | null } },
  body: string,
): Error | undefined {
  const { status } = response;
  if (status >= 200 && status < 300) return undefined;
  const statusLine = `HTTP ${status}${response.statusText ? ` ${response.statusText}` : ""}`;
  const text = excerpt(body, 500);
  const message = `${label}: ${statusLine}${text ? `: ${text}` : ""}`;
  if (status === 408 || status === 429 || status >= 500) {
    return new TransientError(message, parseRetryAfter(response.headers.get("retry-after")));
  }
  if (status === 401 || status === 403) {
    return new SystemicError(`${message} (check the worker's token or api_key)`);
  }
  if (status >= 400) return new InputError(message);
  return new Error(`${label}: unexpected ${statusLine}${text ? `: ${text}` : ""}`);
}

export interface PostJsonOptions {
  /** Names the worker in error messages: `http worker "billing"`. */
  label: string;
  url: string;
  body: unknown;
  headers?: Headers;
  signal: AbortSignal;
}

/** POSTs JSON and returns the body text of a 2xx answer; any other outcome is thrown, classified. */
export async function postJson(options: PostJsonOptions): Promise<string> {
  const { label, url, signal } = options;
  throwIfAborted(signal);
  const headers = new Headers(options.headers);
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: "POST",
      body: JSON.stringify(options.body),
      headers,
      signal,
    });
    text = await response.text();
  } catch (error) {
    throw requestFailure(label, url, error, signal);
  }
  const failure = httpStatusFailure(label, response, text);
  if (failure) throw failure;
  return text;
}

/** No HTTP answer: the abort (timeout), a connection failure, or something unforeseen as-is. */
function requestFailure(label: string, url: string, error: unknown, signal: AbortSignal): Error {
  if (signal.aborted) return abortError(signal);
  const code = connectionFailureCode(error);
  if (code !== undefined) {
    return new ConnectionError(`${label}: connection to ${displayUrl(url)} failed (${code})`, code);
  }
  return coerceError(error);
}

/** The URL without its query string, which may hold a key. */
function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url;
  }
}

export function createHttpRunner(name: string, config: HttpWorkerConfig): WorkerRunner {
  const label = `http worker "${name}"`;
  return async (task, ctx) => {
    const text = await postJson({
      label,
      url: config.url,
      body: task,
      headers: requestHeaders(config.headers, config.token),
      signal: ctx.signal,
    });
    return parseHttpOutput(text);
  };
}

/** Configured headers, then the bearer token (an empty token, as `${TOKEN:-}` gives, means none). */
function requestHeaders(configured: Record<string, string>, token: string | undefined): Headers {
  const headers = new Headers({ "content-type": "application/json" });
  for (const [name, value] of Object.entries(configured)) headers.set(name, value);
  if (token) headers.set("authorization", `Bearer ${token}`);
  return headers;
}

/** `{ "output": "…", …meta }` when the service answers so; otherwise the body is the output. */
export function parseHttpOutput(text: string): WorkerResult {
  const parsed = tryParseJson(text);
  if (isPlainObject(parsed) && typeof parsed.output === "string") {
    const { output, ...rest } = parsed;
    const meta = cleanMeta(rest);
    return meta === undefined ? { output } : { output, meta };
  }
  return { output: text.trim() };
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
