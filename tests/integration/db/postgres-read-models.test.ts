import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/core/clock.js";
import { type OpenPostgres, openPostgres } from "../../../src/db/pg/connection.js";
import { PgMonitorStore } from "../../../src/db/pg/monitor-store.js";
import { openPostgresStore } from "../../../src/db/pg/store.js";
import { Transactions } from "../../../src/db/pg/transactions.js";
import type { Store } from "../../../src/db/store.js";
import { FILED, newTask } from "../../contract/harness.js";
import { postgresDatabase } from "../../postgres.js";

let store: Store<"async">;
/** Another store on the same database, as another process. */
let other: Store<"async">;
let database: OpenPostgres;
const clock = new ManualClock(1_000);

beforeAll(async () => {
  const url = await postgresDatabase();
  store = await openPostgresStore(url, clock);
  other = await openPostgresStore(url, clock);
  database = await openPostgres(url);
});
afterAll(async () => {
  await database.close();
  await other.close();
  await store.close();
});

describe("read models on PostgreSQL", () => {
  it("a monitor read returns at most its bound and says it is incomplete", async () => {
    for (let i = 0; i < 3; i++) await store.tasks.create(newTask({ category: "bounded" }), FILED);
    const monitor = new PgMonitorStore(new Transactions(database.db), 2);

    const read = await monitor.stalled("queued", "bounded", clock.now() + 1, []);

    expect(read.complete).toBe(false);
    expect(read.rows).toHaveLength(2);
  });

  it("a review snapshot sees one moment: a task filed meanwhile elsewhere is not in it", async () => {
    const seen = await store.review.snapshot(async () => {
      const before = await store.status.openTaskIds(1_000);
      await other.tasks.create(newTask({ objective: "meanwhile" }), FILED);
      const after = await store.status.openTaskIds(1_000);
      return { before, after };
    });

    expect(seen.after).toEqual(seen.before);
    expect((await store.status.openTaskIds(1_000)).length).toBe(seen.before.length + 1);
  });

  it("a review snapshot is read-only: a write in it is refused by the server", async () => {
    const write = store.review.snapshot(() => store.tasks.create(newTask(), FILED));
    // 25006: read_only_sql_transaction.
    await expect(write).rejects.toMatchObject({ cause: { code: "25006" } });
  });
});
