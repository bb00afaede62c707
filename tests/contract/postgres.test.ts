import { ManualClock } from "../../src/core/clock.js";
import { openPostgresStore } from "../../src/db/pg/store.js";
import { emptyTables, postgresDatabase } from "../postgres.js";
import { storeContract } from "./store-contract.js";

/** One database for the file, made on the first test; each test starts from empty tables. */
let database: Promise<string> | undefined;

storeContract("PostgreSQL", async () => {
  database ??= postgresDatabase();
  const url = await database;
  await emptyTables(url);
  const clock = new ManualClock();
  const store = await openPostgresStore(url, clock);
  return { store, clock, close: () => store.close() };
});
