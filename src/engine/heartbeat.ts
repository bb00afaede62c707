import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { coerceError } from "../core/errors.js";
import { BEAT_MS, type ProcessEntry, type ProcessRegistry } from "../core/processes.js";
import type { StorageMode } from "../core/storage-mode.js";
import { VERSION } from "../package-info.js";

/**
 * An id no other process run shares: host and pid (for people), and a random part (a pid comes
 * round again, in a container at every start). It registers the process and owns its leases.
 */
export function newProcessId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
}

/** This process as it registers, under `id`, running the config file `config` fingerprints. */
export function thisProcess(
  id: string,
  config: string,
  now: Pick<ProcessEntry, "roles" | "categories">,
): ProcessEntry {
  return { id, host: hostname(), pid: process.pid, version: VERSION, config, ...now };
}

/**
 * The processes in `live` that run another config file than `config`: said at start-up, as a
 * host left on an old file routes, retries or reviews by rules the others no longer hold. A
 * process whose file is not known (an earlier version's row, a config built in code) is left out.
 */
export function onOtherConfigs(live: readonly ProcessEntry[], config: string): ProcessEntry[] {
  if (config === "") return [];
  return live.filter((entry) => entry.config !== "" && entry.config !== config);
}

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
