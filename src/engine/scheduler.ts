import { Cron } from "croner";
import type { ScheduleConfig } from "../config/schema.js";
import { isStewardError } from "../core/errors.js";
import type { ScheduleRuns } from "../core/schedule-runs.js";
import { isTerminal } from "../core/states.js";
import { placeholders, renderTemplate } from "../intake/template.js";
import type { Engine } from "./engine.js";

export interface ScheduleRun {
  schedule: string;
  /** The tick this run stands for (the latest one due). */
  tick: number;
  outcome: "filed" | "skipped_overlap" | "refused";
  taskId?: number;
  missed: number;
  detail?: string;
}

/** What /readyz shows of the scheduler: measured from its last tick, not assumed. */
export interface SchedulerHealth {
  ok: boolean;
  status: string;
}

/** The scheduler also ticks on this beat, so a tick missed (a sleeping host) is caught up. */
const HEARTBEAT_MS = 30_000;

interface Entry {
  config: ScheduleConfig;
  cron: Cron;
  timezone: string;
}

/**
 * Files `schedules:` briefs through intake. Due ticks are computed from the clock, so a run
 * missed while Steward was down is filed once on start (not once per missed tick), and a
 * schedule whose previous task is still in progress skips its tick instead of piling up.
 */
export class Scheduler {
  private readonly entries: Entry[];
  private readonly store: ScheduleRuns<"async">;
  private readonly triggers: Cron[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  /** Wall-clock time (ms) the last tick finished, for health; undefined until started. */
  private lastTickAt: number | undefined;
  private lastError: string | undefined;
  private ticking: Promise<ScheduleRun[]> | undefined;
  private readonly heartbeatMs: number;

  constructor(
    private readonly engine: Engine,
    options: { heartbeatMs?: number } = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
    this.store = engine.schedules;
    this.entries = engine.config.schedules.map((config) => {
      const timezone = config.timezone ?? "UTC";
      return { config, timezone, cron: new Cron(config.cron, { timezone, paused: true }) };
    });
  }

  /** Catches up once, then wakes at each schedule's next tick. */
  async start(): Promise<ScheduleRun[]> {
    const runs = await this.tick();
    for (const entry of this.entries) {
      this.triggers.push(
        new Cron(
          entry.config.cron,
          { timezone: entry.timezone, protect: true },
          () => void this.beat(),
        ),
      );
    }
    this.heartbeat = setInterval(() => void this.beat(), this.heartbeatMs);
    this.heartbeat.unref();
    return runs;
  }

  stop(): void {
    for (const trigger of this.triggers.splice(0)) trigger.stop();
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.lastTickAt = undefined;
  }

  /** Alive while started and ticking on its beat; a tick that threw is a failing scheduler. */
  health(now = Date.now()): SchedulerHealth {
    if (this.heartbeat === undefined || this.lastTickAt === undefined) {
      return { ok: false, status: "stopped" };
    }
    const ago = Math.round((now - this.lastTickAt) / 1000);
    if (this.lastError !== undefined) return { ok: false, status: `error: ${this.lastError}` };
    if (now - this.lastTickAt > 3 * this.heartbeatMs) {
      return { ok: false, status: `stalled: last tick ${ago}s ago` };
    }
    return { ok: true, status: `ok (last tick ${ago}s ago)` };
  }

  /** A timer's tick never throws out of the timer: the error is kept for health and logged. */
  private async beat(): Promise<void> {
    try {
      await this.tick();
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      this.engine.logger.error(`scheduler: tick failed: ${this.lastError}`);
    }
  }

  /**
   * Files what is due now; a schedule seen for the first time starts counting from now. A tick
   * asked for while one runs (a timer and the beat together) is that one.
   */
  tick(): Promise<ScheduleRun[]> {
    this.ticking ??= this.tickOnce().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async tickOnce(): Promise<ScheduleRun[]> {
    const now = this.engine.clock.now();
    const runs: ScheduleRun[] = [];
    for (const entry of this.entries) {
      const last = await this.store.lastFiredAt(entry.config.name);
      if (last === undefined) {
        await this.store.record(entry.config.name, now);
        continue;
      }
      const due = dueTicks(entry.cron, last, now);
      if (due.length === 0) continue;
      runs.push(await this.fire(entry, due.at(-1)!, due.length - 1));
    }
    this.lastTickAt = Date.now();
    this.lastError = undefined;
    return runs;
  }

  private async fire(entry: Entry, tick: number, missed: number): Promise<ScheduleRun> {
    const { config } = entry;
    const source = `schedule:${config.name}`;
    const base = { schedule: config.name, tick, missed };
    const previous = await this.engine.latestFrom(source);
    if (previous !== undefined && !isTerminal(previous.state)) {
      await this.store.record(config.name, tick);
      return {
        ...base,
        outcome: "skipped_overlap",
        taskId: previous.id,
        detail: `T-${previous.id} is still ${previous.state}`,
      };
    }
    try {
      const fields = renderTemplate(
        config.brief,
        placeholders(new Date(tick), entry.timezone, config.name),
      );
      // Filed as the brief says (no model asked), the cursor moving in the filing's unit.
      const result = await this.engine.submit(
        {
          source,
          requester: source,
          fields,
          category: config.category,
          priority: config.priority,
          dedupeKey: `${config.name}@${new Date(tick).toISOString()}`,
        },
        { rulesOnly: true, alongside: () => this.store.record(config.name, tick) },
      );
      return { ...base, outcome: "filed", taskId: result.task.id };
    } catch (error) {
      if (!isStewardError(error)) throw error;
      await this.store.record(config.name, tick);
      this.engine.logger.warn(`schedule ${config.name}: ${error.message}`);
      return { ...base, outcome: "refused", detail: error.message };
    }
  }
}

/** Every tick after `since` up to and including `now`, bounded so a long outage stays cheap. */
export function dueTicks(cron: Cron, since: number, now: number, limit = 1000): number[] {
  const ticks: number[] = [];
  let cursor = cron.nextRun(new Date(since));
  while (cursor !== null && cursor.getTime() <= now && ticks.length < limit) {
    ticks.push(cursor.getTime());
    cursor = cron.nextRun(cursor);
  }
  return ticks;
}
