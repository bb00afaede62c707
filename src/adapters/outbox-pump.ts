import type { Clock } from "../core/clock.js";
import { coerceError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { type Outbox, type OutboxKind, PARKED, type PendingMessage } from "../core/outbox.js";
import type { Engine } from "../engine/engine.js";

export interface OutboxPumpOptions {
  outbox: Pick<Outbox<"async">, "pending" | "claim" | "markDelivered" | "markFailed">;
  /**
   * Several processes share the store: take messages for this long (a claim) instead of reading
   * them, so a deliverer that lost its role mid-send and the one that took it over never both
   * send one message.
   */
  claimMs?: number;
  clock: Clock;
  logger: Logger;
  /** Only these kinds; another pump (or adapter) owns the rest. */
  kinds?: readonly OutboxKind[];
  deliver(message: PendingMessage): Promise<void>;
  /** Resolves once the writes so far have committed: nothing is said before it is durable. */
  committed(): Promise<void>;
  /** Failures that retrying cannot fix: parked with their error, visible, not retried. */
  isPermanent?(error: Error): boolean;
  everyMs?: number;
  batch?: number;
}

/**
 * A claim outlasts any delivery's timeout (15 s for a webhook POST or a Discord request): a
 * message is never sent while another claim holds it. Past that, it lasts as long as a task's
 * lease (`database.lease`): a deliverer that died mid-send is taken over as its tasks are.
 */
const MIN_CLAIM_MS = 20_000;

/** What every pump takes from the engine: its outbox, when writes are durable, its clock. */
export function engineOutbox(
  engine: Engine,
): Pick<OutboxPumpOptions, "outbox" | "committed" | "clock" | "claimMs"> {
  return {
    outbox: engine.outbox,
    committed: () => engine.committed(),
    clock: engine.clock,
    claimMs: engine.sharedStore ? Math.max(MIN_CLAIM_MS, engine.config.database.lease) : undefined,
  };
}

/** Waits after a failed delivery: 5 s, 10 s, 20 s … up to 10 minutes. */
export function redeliveryDelay(attempts: number): number {
  return Math.min(600_000, 5_000 * 2 ** Math.min(attempts, 10));
}

/**
 * Delivers outbox messages one at a time, in order; a failure is recorded and retried later
 * with backoff, so a message is delivered once when its destination comes back.
 */
export class OutboxPump {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;

  constructor(private readonly options: OutboxPumpOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.drain(), this.options.everyMs ?? 250);
    void this.drain();
  }

  /** Ends the pass in progress after the message in hand: a lost role stops sending at once. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    try {
      await this.running;
    } finally {
      this.stopping = false;
    }
  }

  /** One pass over what is due; concurrent calls share the pass in progress. */
  drain(): Promise<void> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    const { outbox, clock, logger, kinds, deliver, committed } = this.options;
    await committed();
    // The door that filed a task acts on it in the tick its commit lands (a card it will post,
    // which the task's first notice must wait for): read only once that tick is over.
    await new Promise((resolve) => setImmediate(resolve));
    const { claimMs, batch = 50 } = this.options;
    // Shared, each message is claimed as its turn comes, not the batch at once: a deliverer
    // killed mid-pass leaves one message claimed (the one in hand), not up to `batch` of them
    // waiting out their claims, and a pass ended early leaves none.
    const read = claimMs === undefined ? await outbox.pending(batch, kinds) : [];
    for (let sent = 0; sent < batch && !this.stopping; sent++) {
      const message =
        claimMs === undefined ? read[sent] : (await outbox.claim(1, claimMs, kinds))[0];
      if (message === undefined) return;
      try {
        await deliver(message);
        await outbox.markDelivered(message.id);
      } catch (thrown) {
        const error = coerceError(thrown);
        const retryAt = this.options.isPermanent?.(error)
          ? PARKED
          : clock.now() + redeliveryDelay(message.attempts);
        await outbox.markFailed(message.id, error.message, retryAt);
        logger.warn(`delivery of ${message.message.kind} #${message.id} failed: ${error.message}`);
      }
    }
  }
}
