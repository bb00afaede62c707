import { performance } from "node:perf_hooks";
import type { RepliableInteraction } from "discord.js";

/** Longest a piece of work waits for other acknowledgements, so a steady stream cannot starve it. */
const MAX_WAIT_MS = 1_000;

/**
 * Acknowledgements in flight and the work waiting for them. Process-wide like the event loop
 * they share: every adapter's interactions compete for the same turns.
 */
let acknowledging = 0;
const waiting: { since: number; go: () => void }[] = [];
let scheduled = false;
let fallback: NodeJS.Timeout | undefined;

/**
 * Acknowledges the interaction with a public deferred reply ("Steward is thinking…"), then
 * resolves when the work that answers it may run. An acknowledgement has Discord's 3 s deadline,
 * the deferred reply 15 minutes: under a burst every interaction is acknowledged before any is
 * worked on. Work waits while an acknowledgement is in flight (at most MAX_WAIT_MS), and runs one
 * piece per turn of the event loop, so an interaction arriving meanwhile is acknowledged first.
 *
 * Refuse what can be refused before this: the deferred reply is public for good.
 */
export async function acknowledgeFirst(interaction: RepliableInteraction): Promise<void> {
  acknowledging++;
  try {
    await interaction.deferReply();
  } finally {
    acknowledging--;
    schedule();
  }
  await new Promise<void>((go) => {
    waiting.push({ since: performance.now(), go });
    schedule();
  });
}

function schedule(): void {
  if (scheduled || waiting.length === 0) return;
  scheduled = true;
  // After this turn's I/O: interactions that arrived meanwhile start their acknowledgement first.
  setImmediate(next);
}

function next(): void {
  scheduled = false;
  const first = waiting[0];
  if (first === undefined) return;
  const waited = performance.now() - first.since;
  if (acknowledging > 0 && waited < MAX_WAIT_MS) {
    // An acknowledgement settling schedules again; the timer bounds the wait if none does.
    clearTimeout(fallback);
    fallback = setTimeout(schedule, MAX_WAIT_MS - waited).unref();
    return;
  }
  clearTimeout(fallback);
  waiting.shift();
  first.go();
  schedule();
}
