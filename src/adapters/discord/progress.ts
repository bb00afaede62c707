import type { Client } from "discord.js";
import type { Logger } from "../../core/log.js";
import type { Task } from "../../core/task.js";
import type { Engine } from "../../engine/engine.js";
import { cardKey, taskCard } from "./cards.js";
import { sendableChannel } from "./channels.js";
import type { ChatRefs } from "./refs.js";
import { NO_PINGS } from "./safety.js";

export interface CardProgressDeps {
  engine: Engine;
  refs: ChatRefs;
  client: Client;
  logger: Logger;
  /** Changes within this window become one edit: a fast task is not edited four times. */
  debounceMs?: number;
}

/** A failed edit is tried again this much later (a few times), so a card does not stay stale. */
const RETRY_MS = 5_000;
const MAX_RETRIES = 5;
const MAX_REMEMBERED = 10_000;

/**
 * Keeps each task card in step with its task: queued → running → reviewing → done, with the
 * attempt numbers and waits. Edits are debounced and serialised per task, and skipped when
 * nothing a reader would see has changed.
 */
export class CardProgress {
  /** What each card shows now (its `cardKey`). */
  private readonly shown = new Map<number, string>();
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private readonly chains = new Map<number, Promise<void>>();
  private readonly failures = new Map<number, number>();
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly deps: CardProgressDeps) {}

  start(): void {
    this.unsubscribe = this.deps.engine.onTaskChange((task) => this.changed(task.id));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.all(this.chains.values());
  }

  /** A card was just posted showing `task`; it may have moved on while the post was in flight. */
  posted(task: Task): void {
    this.remember(task.id, cardKey(task));
    this.changed(task.id);
  }

  /** The card of `taskId` should show its current state soon. */
  changed(taskId: number, delayMs = this.deps.debounceMs ?? 500): void {
    if (this.stopped || this.timers.has(taskId)) return;
    const timer = setTimeout(() => {
      this.timers.delete(taskId);
      this.serially(taskId, () => this.refresh(taskId));
    }, delayMs);
    this.timers.set(taskId, timer);
  }

  private serially(taskId: number, work: () => Promise<void>): void {
    const previous = this.chains.get(taskId) ?? Promise.resolve();
    const next = previous.then(work).catch((error: unknown) => this.failed(taskId, error));
    this.chains.set(taskId, next);
    void next.then(() => {
      if (this.chains.get(taskId) === next) this.chains.delete(taskId);
    });
  }

  private async refresh(taskId: number): Promise<void> {
    const { engine, refs, client } = this.deps;
    // No card (yet): whoever posts it calls `posted`, which comes back here.
    const ref = await refs.task(taskId);
    // A card shows only what is durable: a grouped write commits within milliseconds.
    await engine.committed();
    const task = await engine.findTask(taskId);
    if (ref === undefined || task === undefined) return;
    const key = cardKey(task);
    if (this.shown.get(taskId) === key) return;
    const channel = await sendableChannel(client, ref.channelId);
    await channel.messages.edit(ref.messageId, {
      embeds: [
        taskCard(task, engine.config, {
          events: await engine.events(taskId),
          attempts: await engine.attempts(taskId),
        }),
      ],
      allowedMentions: NO_PINGS,
    });
    this.failures.delete(taskId);
    this.remember(taskId, key);
  }

  /** Bounded: a card not seen for 10 000 tasks is at worst edited once more than needed. */
  private remember(taskId: number, key: string): void {
    this.shown.delete(taskId);
    this.shown.set(taskId, key);
    if (this.shown.size > MAX_REMEMBERED) {
      const oldest = this.shown.keys().next().value;
      if (oldest !== undefined) this.shown.delete(oldest);
    }
  }

  private failed(taskId: number, error: unknown): void {
    const count = (this.failures.get(taskId) ?? 0) + 1;
    this.failures.set(taskId, count);
    const message = error instanceof Error ? error.message : String(error);
    this.deps.logger.warn(`discord: could not update the card of T-${taskId}: ${message}`);
    if (count <= MAX_RETRIES) this.changed(taskId, RETRY_MS * count);
    else this.failures.delete(taskId);
  }
}
