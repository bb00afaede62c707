import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/load.js";
import { ManualClock } from "../../../src/core/clock.js";
import { openDatabase } from "../../../src/db/connection.js";
import { tasks } from "../../../src/db/schema.js";
import { Engine } from "../../../src/engine/engine.js";
import { Scheduler } from "../../../src/engine/scheduler.js";
import { testDatabase } from "../../helpers.js";

const schedules = `
schedules:
  - name: weekly-report
    cron: "0 8 * * MON"
    timezone: Europe/Paris
    category: content
    brief:
      objective: "Write the weekly report for the week of {{date}}"
      acceptance_criteria: ["covers every shipped change", "{{weekday}} edition"]
`;

function setUp(start: number) {
  const clock = new ManualClock(start);
  const database = testDatabase();
  const config = parseConfig(
    `${readFileSync("config/steward.yaml", "utf8").replace("schedules: []", "")}\n${schedules}`,
    "config/steward.yaml",
    {},
  );
  const engine = new Engine({ config, configDir: "config", database, clock });
  return { clock, database, engine, scheduler: new Scheduler(engine) };
}

const mondayMorning = Date.UTC(2026, 10, 23, 7, 0); // 08:00 in Paris
const hour = 3_600_000;
const week = 7 * 24 * hour;

describe("schedules, on a fake clock", () => {
  it("a tick files one task through intake with its placeholders filled", async () => {
    const { clock, database, scheduler } = setUp(mondayMorning - hour);
    expect(await scheduler.tick()).toEqual([]);

    clock.set(mondayMorning + 1000);
    const runs = await scheduler.tick();

    expect(runs).toEqual([
      expect.objectContaining({ schedule: "weekly-report", outcome: "filed", missed: 0 }),
    ]);
    const [task] = database.db.select().from(tasks).all();
    expect(task).toMatchObject({
      source: "schedule:weekly-report",
      category: "content",
      state: "queued",
      objective: "Write the weekly report for the week of 2026-11-23",
      acceptanceCriteria: ["covers every shipped change", "Monday edition"],
    });
    expect(await scheduler.tick()).toEqual([]);
  });

  it("downtime across three ticks files one task on start, not three", async () => {
    const before = setUp(mondayMorning - hour);
    await before.scheduler.tick();
    before.database.close();

    // Steward is down for three Mondays; a new process starts on the same database file.
    const clock = new ManualClock(mondayMorning + 2 * week + 3 * hour);
    const database = openDatabase(before.database.file);
    const engine = new Engine({
      config: before.engine.config,
      configDir: "config",
      database,
      clock,
    });
    const scheduler = new Scheduler(engine);
    const runs = await scheduler.start();
    scheduler.stop();

    expect(runs).toEqual([
      expect.objectContaining({ outcome: "filed", missed: 2, tick: mondayMorning + 2 * week }),
    ]);
    expect(database.db.select().from(tasks).all()).toHaveLength(1);
    database.close();
  });

  it("a run whose previous task is still in progress is skipped, not piled up", async () => {
    const { clock, database, scheduler } = setUp(mondayMorning - hour);
    await scheduler.tick();
    clock.set(mondayMorning + 1000);
    await scheduler.tick();
    clock.set(mondayMorning + week + 1000);

    const runs = await scheduler.tick();

    expect(runs).toEqual([
      expect.objectContaining({ outcome: "skipped_overlap", detail: "T-1 is still queued" }),
    ]);
    expect(database.db.select().from(tasks).all()).toHaveLength(1);
  });
});
