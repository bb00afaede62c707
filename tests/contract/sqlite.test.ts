import { join } from "node:path";
import { ManualClock } from "../../src/core/clock.js";
import { openAsyncSqliteStore } from "../../src/db/async-sqlite-store.js";
import { tempDir } from "../helpers.js";
import { storeContract } from "./store-contract.js";

storeContract("SQLite, through its asynchronous face", async () => {
  const clock = new ManualClock();
  const store = openAsyncSqliteStore(join(tempDir(), "steward.db"), clock);
  return { store, clock, close: () => store.close() };
});
