import type pg from "pg";
import { coerceError } from "../../core/errors.js";
import type { Role, RoleHandlers, Roles } from "../../core/roles.js";
import { abandon, openDedicated } from "./dedicated-connection.js";
import { tryLockForSession } from "./locks.js";

export interface LeadershipOptions {
  /** Between tries for roles another process holds, and between liveness checks (2 s). */
  everyMs?: number;
  /** A callback threw, or the connection failed: told here, never thrown out of the loop. */
  onError?(error: Error): void;
}

/**
 * - `idle`: nothing asked for yet, no connection.
 * - `running`: a connection (or the next try to open one), a tick every `everyMs`.
 * - `closed`: the connection ended, every role given up; no more ticks.
 */
type Mode = "idle" | "running" | "closed";

/**
 * Which singleton roles this process holds. Each is a session-level advisory lock on one
 * dedicated connection (not the pool's: a pooled connection is shared and recycled), so the
 * server itself guarantees one holder and releases the lock the moment the holder's connection
 * dies. Every tick tries the roles not yet held (another process has them) and, when all are
 * held, checks the connection with `SELECT 1`; an error, the connection's end or a check that
 * times out drops every role at once (`onLost`) before anything else, then reconnects and tries
 * again (`dedicated-connection.ts` says how a connection that hangs or stops ticking is noticed).
 */
export class Leadership implements Roles {
  readonly shared = true;
  private mode: Mode = "idle";
  private readonly wanted = new Map<Role, RoleHandlers>();
  private readonly holding = new Set<Role>();
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly options: LeadershipOptions = {},
  ) {}

  /** Asks for `role`: held as soon as no other process holds it, retried until then. */
  hold(role: Role, handlers: RoleHandlers = {}): void {
    if (this.mode === "closed") throw new Error("leadership is closed");
    if (this.wanted.has(role)) throw new Error(`${role} is already asked for`);
    this.wanted.set(role, handlers);
    this.mode = "running";
    this.next(0);
  }

  /** The roles this process holds now. */
  held(): ReadonlySet<Role> {
    return new Set(this.holding);
  }

  /** Ends the connection: the server releases every role at once. No `onLost` is told. */
  async close(): Promise<void> {
    this.mode = "closed";
    clearTimeout(this.timer);
    await this.ticking;
    this.holding.clear();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private get everyMs(): number {
    return this.options.everyMs ?? 2_000;
  }

  /** The next tick in `ms`, after the one running ends: never two at once. */
  private next(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.ticking ??= this.tick().finally(() => {
        this.ticking = undefined;
      });
    }, ms);
  }

  private async tick(): Promise<void> {
    if (this.mode !== "running") return;
    try {
      const client = this.client ?? (await this.connect());
      const missing = [...this.wanted.keys()].filter((role) => !this.holding.has(role));
      if (missing.length === 0) await client.query("SELECT 1");
      for (const role of missing) {
        if (client !== this.client || this.mode !== "running") break;
        const taken = await tryLockForSession(client, role);
        // Taken on a connection dropped meanwhile: the server has released it already.
        if (taken && client === this.client) this.acquired(role);
      }
    } catch (thrown) {
      // Closed meanwhile: `close()` ends the connection, and that is no failure.
      if (this.mode === "running") this.drop(coerceError(thrown));
    }
    if (this.mode === "running") this.next(this.everyMs);
  }

  private async connect(): Promise<pg.Client> {
    const client: pg.Client = await openDedicated(this.url, this.everyMs, (error) => {
      if (this.client === client) this.drop(error);
    });
    if (this.mode !== "running") {
      abandon(client);
      throw new Error("leadership is closed");
    }
    this.client = client;
    return client;
  }

  private acquired(role: Role): void {
    this.holding.add(role);
    this.tell(() => this.wanted.get(role)?.onAcquired?.());
  }

  /** The connection is gone or not to be trusted: every role is given up before anything else. */
  private drop(error: Error): void {
    const client = this.client;
    this.client = undefined;
    const lost = [...this.holding];
    this.holding.clear();
    abandon(client);
    for (const role of lost) this.tell(() => this.wanted.get(role)?.onLost?.(error));
    if (lost.length === 0) this.options.onError?.(error);
    if (this.mode === "running") this.next(this.everyMs);
  }

  private tell(callback: () => void): void {
    try {
      callback();
    } catch (thrown) {
      this.options.onError?.(coerceError(thrown));
    }
  }
}
