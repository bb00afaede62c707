import { coerceError, describeError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import type { Role, Roles } from "../core/roles.js";
import { Serial } from "../core/serial.js";

export interface RoleWork {
  start(): unknown;
  stop(): unknown;
}

/** A failed start is tried again after this long, then twice as long each time, to a minute. */
const RETRY_FIRST_MS = 2_000;
const RETRY_MAX_MS = 60_000;

/**
 * A job only the holder of a role does (the schedules, the checker, delivery, the Discord
 * connection): started each time this process takes the role, stopped when it loses it or
 * closes. Starts and stops run one after another, never overlapping. On a shared store a start
 * that fails (the database not answering at that moment) is tried again while the role is
 * held: a holder whose job is not running would keep every other process from running it.
 */
export class RoleJob {
  /** Starts and stops, one at a time. */
  private readonly steps = new Serial();
  private running = false;
  private closed = false;
  /** This process holds the role (it was acquired, and not lost since). */
  private held = false;
  private retry: NodeJS.Timeout | undefined;
  private firstStart: Promise<void> | undefined;

  constructor(
    readonly role: Role,
    private readonly work: RoleWork,
    private readonly logger: Logger,
  ) {}

  /** Asks `roles` for the role; the job starts whenever it is held. */
  holdWith(roles: Roles): void {
    roles.hold(this.role, {
      onAcquired: () => {
        if (roles.shared) this.logger.info("role acquired", { role: this.role });
        this.held = true;
        this.begin(roles.shared, RETRY_FIRST_MS);
      },
      onLost: (error) => {
        this.held = false;
        clearTimeout(this.retry);
        this.logger.warn("role lost", { role: this.role, error: error.message });
        void this.stop().catch((thrown: unknown) =>
          this.logger.error(`${this.role}: could not stop: ${describeError(coerceError(thrown))}`),
        );
      },
    });
  }

  /** Starts the job, and on a shared store tries again after `retryMs` if that fails. */
  private begin(shared: boolean, retryMs: number): void {
    const starting = this.steps.run(async () => {
      if (this.closed || this.running || !this.held) return;
      try {
        await this.work.start();
      } catch (error) {
        // What it set up before it failed is taken down: the next start begins from nothing.
        try {
          await this.work.stop();
        } catch {
          // The start's failure is the one to tell.
        }
        throw error;
      }
      this.running = true;
    });
    this.firstStart ??= starting;
    // One process alone hears a failed start from `started()`; a shared one keeps serving.
    void starting.catch((error: unknown) => {
      if (!shared) return;
      const again = this.held && !this.closed;
      const next = again ? `; trying again in ${retryMs / 1000} s` : "";
      this.logger.error(
        `${this.role}: could not start: ${describeError(coerceError(error))}${next}`,
      );
      if (!again) return;
      clearTimeout(this.retry);
      this.retry = setTimeout(
        () => this.begin(shared, Math.min(retryMs * 2, RETRY_MAX_MS)),
        retryMs,
      );
      this.retry.unref();
    });
  }

  /** Held now, and started. */
  get active(): boolean {
    return this.running;
  }

  /** The first start's outcome, once the role was held (it may never be, on a shared store). */
  started(): Promise<void> | undefined {
    return this.firstStart;
  }

  /** Stops the job if it runs; it starts again when the role is taken again, unless closed. */
  stop(): Promise<void> {
    return this.steps.run(async () => {
      if (!this.running) return;
      this.running = false;
      await this.work.stop();
    });
  }

  /** Stops the job for good. */
  close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    return this.stop();
  }
}
