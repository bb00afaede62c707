import pg from "pg";
import { describe, expect, it } from "vitest";
import {
  MIGRATED_CHANNEL,
  migrateSerialized,
  openPostgres,
} from "../../../src/db/pg/connection.js";
import { postgresDatabase } from "../../postgres.js";

async function count(url: string, query: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(query);
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

const TABLES = `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'`;
const APPLIED = "SELECT count(*) AS n FROM drizzle.__drizzle_migrations";

describe("PostgreSQL migrations", () => {
  it("create every table of the SQLite schema, and a second run changes nothing", async () => {
    const url = await postgresDatabase();
    const first = await openPostgres(url);
    await first.close();
    const tables = await count(url, TABLES);
    const applied = await count(url, APPLIED);
    expect(tables).toBe(13);

    const second = await openPostgres(url);
    await second.close();
    expect(await count(url, TABLES)).toBe(tables);
    expect(await count(url, APPLIED)).toBe(applied);
  });

  it("run by several processes starting at once, are applied once", async () => {
    const url = await postgresDatabase();
    const pools = Array.from({ length: 4 }, () => new pg.Pool({ connectionString: url, max: 1 }));
    try {
      await Promise.all(pools.map((pool) => migrateSerialized(pool)));
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
    const files = await count(url, APPLIED);
    expect(files).toBeGreaterThan(0);
    const again = await openPostgres(url);
    await again.close();
    expect(await count(url, APPLIED)).toBe(files);
  });

  it("are announced when applied, so processes already running can check them; not otherwise", async () => {
    const url = await postgresDatabase();
    const listener = new pg.Client({ connectionString: url });
    await listener.connect();
    const heard: string[] = [];
    listener.on("notification", (notice) => heard.push(notice.channel));
    await listener.query(`LISTEN ${MIGRATED_CHANNEL}`);
    try {
      await (await openPostgres(url)).close();
      await (await openPostgres(url)).close();
      // A round trip on the listener: notices sent before it have arrived.
      await listener.query("SELECT 1");
      expect(heard).toEqual([MIGRATED_CHANNEL]);
    } finally {
      await listener.end();
    }
  });
});
