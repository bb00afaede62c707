import { describe, expect, it } from "vitest";
import { loadConfigFile } from "../../../src/config/load.js";
import { ManualClock } from "../../../src/core/clock.js";
import { openDatabase } from "../../../src/db/connection.js";
import { outbox } from "../../../src/db/schema.js";
import { Engine } from "../../../src/engine/engine.js";
import { ReviewSchedule } from "../../../src/engine/review-schedule.js";
import { testDatabase } from "../../helpers.js";

const config = loadConfigFile("config/steward.yaml", {});
/** The default `review.schedule`: 09:00 UTC on the 1st. */
const firstOfDecember = Date.UTC(2026, 11, 1, 9, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** One Steward process on the database file, its clock at `now`. */
function steward(file: string, now: number) {
  const database = openDatabase(file);
  const clock = new ManualClock(now);
  const engine = new Engine({ config, configDir: "config", database, clock });
  return { clock, database, schedule: new ReviewSchedule(engine) };
}

function reviewMessages(database: ReturnType<typeof openDatabase>) {
  return database.db
    .select()
    .from(outbox)
    .all()
    .filter((row) => row.kind === "review_report")
    .map((row) => ({ key: row.key, payload: row.payload }));
}

describe("the monthly review on review.schedule, on a fake clock", () => {
  it("posts the previous month through the outbox once, at its tick", async () => {
    const { file } = testDatabase();
    const first = steward(file, firstOfDecember - 10 * DAY);
    expect(await first.schedule.start()).toEqual([]);
    first.schedule.stop();

    first.clock.set(firstOfDecember - 1000);
    expect(await first.schedule.tick()).toEqual([]);
    first.clock.set(firstOfDecember + 1000);
    expect(await first.schedule.tick()).toEqual(["2026-11"]);
    expect(await first.schedule.tick()).toEqual([]);
    expect(reviewMessages(first.database)).toEqual([
      { key: "review:2026-11", payload: { kind: "review_report", month: "2026-11" } },
    ]);
    first.database.close();
  });

  it("a restart after the tick posts nothing again; months missed while down are each posted once", async () => {
    const { file } = testDatabase();
    const before = steward(file, firstOfDecember - DAY);
    await before.schedule.tick();
    before.clock.set(firstOfDecember + HOUR);
    expect(await before.schedule.tick()).toEqual(["2026-11"]);
    before.database.close();

    // Restarted the same morning: November is not posted twice.
    const again = steward(file, firstOfDecember + 2 * HOUR);
    expect(await again.schedule.start()).toEqual([]);
    again.schedule.stop();
    again.database.close();

    // Down from mid-December to March: December, January and February, once each.
    const later = steward(file, Date.UTC(2027, 2, 3, 12));
    expect(await later.schedule.start()).toEqual(["2026-12", "2027-01", "2027-02"]);
    later.schedule.stop();
    expect(await later.schedule.tick()).toEqual([]);
    expect(reviewMessages(later.database).map((row) => row.key)).toEqual([
      "review:2026-11",
      "review:2026-12",
      "review:2027-01",
      "review:2027-02",
    ]);
    later.database.close();
  });

  it("a first start posts no history", async () => {
    const { file } = testDatabase();
    const fresh = steward(file, Date.UTC(2027, 5, 15));
    expect(await fresh.schedule.start()).toEqual([]);
    fresh.schedule.stop();
    expect(reviewMessages(fresh.database)).toEqual([]);
    fresh.database.close();
  });
});
