import { coerceError, describeError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import type { Role, Roles } from "../core/roles.js";
import { Serial } from "../core/serial.js";

export interface RoleWork {
  start(): unknown;
  stop(): unknown;
}

/**
 * A job only the holder of a role does (the schedules, the checker, delivery, the Discord
 * connection): started each time this process takes the role, stopped when it loses it or
 * closes. Starts and stops run one after another, never overlapping.
 */
export class RoleJob {
  /** Starts and stops, one at a time. */
  private readonly steps = new Serial();
  private running = false;
  private closed = false;
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
        const starting = this.steps.run(async () => {
          if (this.closed || this.running) return;
          await this.work.start();
          this.running = true;
        });
        this.firstStart ??= starting;
        // One process alone hears a failed start from `started()`; a shared one keeps serving.
        void starting.catch((error: unknown) => {
          if (roles.shared) {
            this.logger.error(
              `${this.role}: could not start: ${describeError(coerceError(error))}`,
            );
          }
        });
      },
      onLost: (error) => {
        this.logger.warn("role lost", { role: this.role, error: error.message });
        void this.stop().catch((thrown: unknown) =>
          this.logger.error(`${this.role}: could not stop: ${describeError(coerceError(thrown))}`),
        );
      },
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
    return this.stop();
  }
}
