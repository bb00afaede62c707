import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../../src/core/clock.js";
import { MIGRATIONS_FOLDER, openDatabase } from "../../../src/db/connection.js";
import { openStore } from "../../../src/db/open-store.js";
import { openPostgres } from "../../../src/db/pg/connection.js";
import { newestMigration } from "../../../src/db/schema-age.js";
import { postgresDatabase, recordNewerMigration } from "../../postgres.js";
import { steward } from "../cli/steward-cli.js";

/**
 * A database migrated by a newer Steward than the one opening it (one host upgraded before the
 * others, a backup restored under an older install): refused with what to do, and left as it
 * was, instead of used with a schema this code does not know.
 */
const DAY_MS = 86_400_000;
const NEWER =
  /the database was migrated by a newer Steward \(its schema is of .+ UTC, this Steward's of .+ UTC\): run the same version of Steward on every host, or upgrade this one/;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function sqliteFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "steward-newer-"));
  dirs.push(dir);
  return join(dir, "steward.db");
}

describe("a database migrated by a newer Steward", () => {
  it("SQLite: is refused, by the store and by the command line, and left as it was", () => {
    const file = sqliteFile();
    openDatabase(file).close();
    const raw = new Database(file);
    const newer = newestMigration(MIGRATIONS_FOLDER) + DAY_MS;
    raw
      .prepare("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('next', ?)")
      .run(newer);
    const applied = () => raw.prepare("SELECT count(*) AS n FROM __drizzle_migrations").get();
    const before = applied();

    expect(() => openDatabase(file)).toThrow(NEWER);
    expect(() => steward(["status"], file)).toThrow(NEWER);
    expect(applied()).toEqual(before);
    raw.close();
  });

  it("SQLite: one at the same migration as this Steward opens", () => {
    const file = sqliteFile();
    openDatabase(file).close();
    expect(() => openDatabase(file).close()).not.toThrow();
  });

  it("PostgreSQL: is refused before anything is migrated, and named in the error", async () => {
    const url = await postgresDatabase();
    await (await openPostgres(url)).close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await recordNewerMigration(client);
      const applied = async () =>
        (await client.query("SELECT count(*) AS n FROM drizzle.__drizzle_migrations")).rows;
      const before = await applied();

      await expect(openPostgres(url)).rejects.toThrow(NEWER);
      await expect(openStore({ kind: "postgres", url }, systemClock)).rejects.toThrow(
        /^cannot open PostgreSQL at postgres:\/\/.+ \(the database was migrated by a newer Steward/,
      );
      expect(await applied()).toEqual(before);
    } finally {
      await client.end();
    }
  });
});
