/**
 * The multi-process test's outside world, on 127.0.0.1: outputs Steward delivers (POSTed to
 * `/outputs`, the body naming the task) and the runs its worker reports (`/runs`), each kept
 * with the moment it arrived, so duplicates can be told apart from redeliveries after a kill.
 */
import { afterEach } from "vitest";
import { reply, TestServer } from "../workers/helpers.js";

export interface Received<T> {
  body: T;
  at: number;
}

/** What Steward's webhook delivery sends (src/adapters/delivery/outputs.ts). */
export interface DeliveredOutput {
  task: string;
  output: string;
}

/** What the test's worker reports of each run it finished (tests/fixtures/multiprocess/work.ts). */
export interface ReportedRun {
  task: number;
  attempt: number;
  pid: number;
}

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

export async function startReceiver() {
  const outputs: Received<DeliveredOutput>[] = [];
  const runs: Received<ReportedRun>[] = [];
  const server = new TestServer();
  servers.push(server);
  server.handler = (request, response) => {
    const at = Date.now();
    const into: Received<unknown>[] | undefined =
      request.url === "/outputs" ? outputs : request.url === "/runs" ? runs : undefined;
    if (request.method !== "POST" || into === undefined) return reply(response, 404, "");
    into.push({ body: JSON.parse(request.body), at });
    reply(response, 200, "");
  };
  const base = await server.start();
  return { outputsUrl: `${base}/outputs`, runsUrl: `${base}/runs`, outputs, runs };
}

/** Items received more than once, by key: each with the moments it arrived. */
export function repeated<T>(items: Received<T>[], key: (body: T) => string | number) {
  const byKey = new Map<string | number, number[]>();
  for (const { body, at } of items) {
    const k = key(body);
    byKey.set(k, [...(byKey.get(k) ?? []), at]);
  }
  return [...byKey]
    .filter(([, times]) => times.length > 1)
    .map(([k, times]) => ({ key: k, times }));
}
