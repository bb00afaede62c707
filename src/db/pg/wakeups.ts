import { sql } from "drizzle-orm";
import type pg from "pg";
import { coerceError } from "../../core/errors.js";
import { MIGRATED_CHANNEL } from "./connection.js";
import { abandon, openDedicated } from "./dedicated-connection.js";
import type { Queryable } from "./transactions.js";

/** The channel a task's category is sent on when the task enters `queued`. */
export const WORK_CHANNEL = "steward_work";

/**
 * Tells listeners there is work in `category`. Sent inside the write that queued it, the notice
 * goes out when that write commits, and never if it rolls back; the server sends one notice per
 * category however many tasks one write queued.
 */
export async function notifyWork(db: Queryable, category: string): Promise<void> {
  await db.execute(sql`SELECT pg_notify(${WORK_CHANNEL}, ${category})`);
}

export interface WakeupHandlers {
  /** A write queued work in `category`. */
  onWork(category: string): void;
  /**
   * Listening again after a lost connection: notices sent meanwhile are gone, so check the
   * queue as if told of every category (and the schema, as if told of a migration).
   */
  onResync(): void;
  /** Another process migrated the database (`MIGRATED_CHANNEL`). */
  onMigrated?(): void;
  /** A connection failed or a handler threw: told here, never thrown out of the loop. */
  onError?(error: Error): void;
}

/**
 * - `idle`: not started.
 * - `listening`: LISTEN on a live connection, checked with `SELECT 1` every `everyMs`.
 * - `reconnecting`: the connection was lost; a new one is tried every `everyMs`.
 * - `closed`: no connection, no more ticks.
 */
type Mode = "idle" | "listening" | "reconnecting" | "closed";

/**
 * Wake-ups instead of polling: LISTEN on `steward_work` (and `steward_migrated`) on a connection
 * of its own (a pooled one would be recycled with the LISTEN on it). A lost connection is noticed
 * (its error or end, or a check that fails) and replaced, and then `onResync` says notices may
 * have been missed.
 */
export class Wakeups {
  private mode: Mode = "idle";
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly handlers: WakeupHandlers,
    private readonly options: { everyMs?: number } = {},
  ) {}

  /** Listens; resolves once listening (throws if the first connection fails). */
  async start(): Promise<void> {
    if (this.mode !== "idle") throw new Error(`wake-ups are ${this.mode}`);
    this.client = await this.listen();
    this.mode = "listening";
    this.next();
  }

  async close(): Promise<void> {
    this.mode = "closed";
    clearTimeout(this.timer);
    await this.ticking;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private get everyMs(): number {
    return this.options.everyMs ?? 2_000;
  }

  private next(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.ticking ??= this.tick().finally(() => {
        this.ticking = undefined;
      });
    }, this.everyMs);
  }

  private async tick(): Promise<void> {
    try {
      if (this.mode === "listening") await this.client!.query("SELECT 1");
      else if (this.mode === "reconnecting") {
        const client = await this.listen();
        if (this.mode !== "reconnecting") {
          abandon(client);
          return;
        }
        this.client = client;
        this.mode = "listening";
        this.tell(() => this.handlers.onResync());
        this.tell(() => this.handlers.onMigrated?.());
      }
    } catch (thrown) {
      this.lost(coerceError(thrown));
    }
    if (this.mode !== "closed") this.next();
  }

  private async listen(): Promise<pg.Client> {
    const client: pg.Client = await openDedicated(this.url, this.everyMs, (error) => {
      if (this.client === client) this.lost(error);
    });
    client.on("notification", (notice) => {
      if (notice.channel === WORK_CHANNEL && notice.payload !== undefined)
        this.tell(() => this.handlers.onWork(notice.payload!));
      else if (notice.channel === MIGRATED_CHANNEL) this.tell(() => this.handlers.onMigrated?.());
    });
    try {
      await client.query(`LISTEN ${WORK_CHANNEL}; LISTEN ${MIGRATED_CHANNEL}`);
    } catch (error) {
      abandon(client);
      throw error;
    }
    return client;
  }

  private lost(error: Error): void {
    if (this.mode === "closed") return;
    abandon(this.client);
    this.client = undefined;
    this.mode = "reconnecting";
    this.handlers.onError?.(error);
    this.next();
  }

  private tell(handler: () => void): void {
    try {
      handler();
    } catch (thrown) {
      this.handlers.onError?.(coerceError(thrown));
    }
  }
}
