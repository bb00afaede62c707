import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { coerceError } from "../core/errors.js";
import type { ProcessEntry, ProcessRegistry } from "../core/processes.js";
import type { StorageMode } from "../core/storage-mode.js";

/** This process as it registers: its host, pid and an id no other run shares. */
export function thisProcess(now: Pick<ProcessEntry, "roles" | "categories">): ProcessEntry {
  const host = hostname();
  const id = `${host}:${process.pid}:${randomBytes(4).toString("hex")}`;
  return { id, host, pid: process.pid, ...now };
}

/** Between beats, unless a heartbeat says otherwise. */
export const BEAT_MS = 5_000;
/** A process that missed three beats is listed as stale: crashed, frozen or cut off. */
export const STALE_AFTER_MS = 3 * BEAT_MS;

export interface HeartbeatOptions {
  /** Between beats (`BEAT_MS`); readers call a process stale after a few missed ones. */
  everyMs?: number;
  /** What the process holds and works at each beat (roles come and go). */
  current(): Pick<ProcessEntry, "roles" | "categories">;
  /** A beat failed: told here; the next one tries again. */
  onError?(error: Error): void;
}

/**
 * - `idle`: not registered yet.
 * - `beating`: registered, a beat every `everyMs`.
 * - `closed`: marked gone, no more beats.
 */
type Mode = "idle" | "beating" | "closed";

/** Registers this process, beats while it runs, and marks it gone when it closes. */
export class Heartbeat<M extends StorageMode> {
  private mode: Mode = "idle";
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  /** Asked to beat while a beat was under way. */
  private again = false;

  constructor(
    private readonly registry: ProcessRegistry<M>,
    readonly entry: ProcessEntry,
    private readonly options: HeartbeatOptions,
  ) {}

  async start(): Promise<void> {
    if (this.mode !== "idle") throw new Error(`the heartbeat is ${this.mode}`);
    await this.registry.register(this.entry);
    this.mode = "beating";
    this.timer = setInterval(() => this.beatNow(), this.options.everyMs ?? BEAT_MS);
    // A role taken while registering is in no row yet: say it now, not a beat later.
    this.beatNow();
  }

  /**
   * Beats now rather than on the next tick (what it holds changed); one beat at a time. Asked
   * while one is under way, it beats again after it: that beat may have read what it holds
   * before the change (a role acquired just after), and would otherwise stand until the next tick.
   */
  beatNow(): void {
    if (this.mode !== "beating") return;
    if (this.beating !== undefined) {
      this.again = true;
      return;
    }
    this.beating = this.beat().finally(() => {
      this.beating = undefined;
      if (!this.again) return;
      this.again = false;
      this.beatNow();
    });
  }

  async close(): Promise<void> {
    if (this.mode !== "beating") return;
    this.mode = "closed";
    clearInterval(this.timer);
    await this.beating;
    await this.registry.gone(this.entry.id);
  }

  private async beat(): Promise<void> {
    try {
      await this.registry.beat(this.entry.id, this.options.current());
    } catch (thrown) {
      this.options.onError?.(coerceError(thrown));
    }
  }
}
