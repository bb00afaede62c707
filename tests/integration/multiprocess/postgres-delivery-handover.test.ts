/**
 * The delivery role changing hands while its holder lives: two `steward serve` on one
 * PostgreSQL database, outputs bound for a slow receiver on 127.0.0.1. The connection that holds
 * the leader's roles is cut by the server (pg_terminate_backend, as a network cut or a failover
 * would), so the standby takes the delivery role while the old holder is still in the middle of
 * a pass. Each output must still be POSTed once.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import { systemClock } from "../../../src/core/clock.js";
import { openStore } from "../../../src/db/open-store.js";
import { Engine } from "../../../src/engine/engine.js";
import { databaseWithClient } from "../../postgres.js";
import { eventually, ROOT } from "../../steward-process.js";
import { reply, TestServer } from "../workers/helpers.js";
import { CONFIG, stewardEnv } from "./env.js";
import { repeated } from "./receiver.js";
import { Supervisor } from "./supervisor.js";

const TASKS = 30;
/** How long the receiver takes to answer: a pass over the backlog lasts seconds. */
const ANSWER_MS = 250;

const database = databaseWithClient();

describe("the delivery role taken over from a live holder", () => {
  it("sends each output once when the holder's role connection is cut mid-pass", async () => {
    const { url, client: db } = database;
    const received: { body: { task: string }; at: number }[] = [];
    const server = new TestServer();
    server.handler = (request, response) => {
      received.push({ body: JSON.parse(request.body), at: Date.now() });
      setTimeout(() => reply(response, 200, ""), ANSWER_MS);
    };
    const outputsUrl = `${await server.start()}/outputs`;
    const env = stewardEnv(url, outputsUrl, { STEWARD_HTTP_PORT: "0" });
    const supervisor = new Supervisor(env);
    const opened = await openStore({ kind: "postgres", url }, systemClock);
    const filing = new Engine({
      config: loadConfigFile(CONFIG, env),
      configDir: join(ROOT, "tests/fixtures/multiprocess"),
      store: opened,
    });
    try {
      for (let item = 1; item <= TASKS; item++) {
        await filing.submit({
          source: "handover-test",
          requester: "tester",
          category: "work",
          dedupeKey: `item-${item}`,
          fields: { objective: `Process item ${item}`, output_format: `POST to ${outputsUrl}` },
        });
      }
      const leader = supervisor.start("serve-a", ["serve"]);
      await leader.current.logged("steward started", 60_000);
      // "started" comes before the roles are taken: on a loaded host the standby, started too
      // soon, could take delivery first, and the connection cut below would be its own.
      await eventually(
        () =>
          leader.current.logs.find(
            (entry) => entry.msg === "role acquired" && entry.role === "delivery",
          ),
        "the leader holds the delivery role",
        30_000,
      );
      const standby = supervisor.start("serve-b", ["serve"]);
      await standby.current.logged("steward started", 60_000);
      // A pass is under way: the leader POSTs one output after another.
      await eventually(() => (received.length >= 3 ? true : undefined), "deliveries", 60_000);
      const { rows } = await db.query<{ ended: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ended FROM pg_locks
          WHERE locktype = 'advisory' AND granted AND classid = 3 AND objid::int = hashtext('delivery')`,
      );
      expect(rows).toEqual([{ ended: true }]);
      await leader.current.logged("role lost", 10_000);
      await eventually(
        () => (new Set(received.map(({ body }) => body.task)).size === TASKS ? true : undefined),
        `all ${TASKS} outputs received`,
        90_000,
      );
      // What a second deliverer would still send arrives within a pass or two.
      await new Promise((wait) => setTimeout(wait, 2_000));
      const twice = repeated(received, (body) => body.task);
      console.log(
        `delivery handover: ${received.length} POSTs for ${TASKS} outputs, ${twice.length} sent twice`,
      );
      expect(twice).toEqual([]);
    } finally {
      await supervisor.stop();
      await filing.stop().catch(() => undefined);
      await opened.store.close();
      await server.stop();
    }
  }, 180_000);
});
