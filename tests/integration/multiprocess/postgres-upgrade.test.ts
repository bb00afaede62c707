/**
 * An upgrade across hosts: another host's newer Steward migrates the shared database while this
 * one runs. A process now older than the schema must stop with what to do (a supervisor shows
 * the exit and restarts it into the same refusal until the host is upgraded), not go on working
 * a schema it does not know. Played here by a newer migration recorded and announced as
 * `migrateSerialized` does.
 */
import { describe, expect, it } from "vitest";
import { MIGRATED_CHANNEL } from "../../../src/db/pg/connection.js";
import { databaseWithClient, recordNewerMigration } from "../../postgres.js";
import { launch } from "../../steward-process.js";
import { stewardEnv } from "./env.js";

const OUTGROWN =
  /^the database was migrated by a newer Steward .*: run the same version of Steward on every host, or upgrade this one: shutting down$/;
const database = databaseWithClient();

describe("a database migrated past a running process's schema", () => {
  it("stops serve and worker with what to do, exit 1; a restart is refused the same way", async () => {
    const { url, client } = database;
    const env = stewardEnv(url);
    const serve = launch(["serve"], { ...env, STEWARD_HTTP_PORT: "0" });
    await serve.logged("steward started", 60_000);
    const worker = launch(["worker"], env);
    await worker.logged("worker started", 60_000);

    // What a newer Steward's start does on another host: migrate, then say so.
    await recordNewerMigration(client);
    await client.query("SELECT pg_notify($1, '')", [MIGRATED_CHANNEL]);

    for (const process of [serve, worker]) {
      expect(await process.exited).toEqual({ code: 1, signal: null });
      expect(process.logs.find((entry) => entry.level === "error")?.msg).toMatch(OUTGROWN);
    }
    const again = launch(["worker"], env);
    expect((await again.exited).code).toBe(1);
    expect(again.stderr()).toContain("the database was migrated by a newer Steward");
  }, 120_000);
});
