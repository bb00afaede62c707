import pg from "pg";
import { describe, expect, it } from "vitest";
import { migrateSerialized, openPostgres } from "../../../src/db/pg/connection.js";
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
});
