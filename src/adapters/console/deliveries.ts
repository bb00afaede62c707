import { setTimeout as sleep } from "node:timers/promises";
import { describeDestination } from "../../core/destination.js";
import { formatTaskId } from "../../core/states.js";
import type { EngineOutbox } from "../../engine/engine.js";
import type { OutboxPump } from "../outbox-pump.js";
import { oneLine } from "./format.js";

/** The longest the console waits, as it ends, for outputs on their way to files and webhooks. */
export const DELIVERY_WAIT_MS = 10_000;

/**
 * As the session ends: the outputs due for delivery get their attempt (bounded), so what the
 * console said is under way happens before it exits. Returns a line for each output still not
 * delivered (a destination that is down waits for its retry), to be said rather than dropped.
 */
export async function finishDeliveries(
  outputs: Pick<OutboxPump, "drain">,
  outbox: Pick<EngineOutbox, "pending" | "undelivered">,
  timeoutMs = DELIVERY_WAIT_MS,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  while ((await outbox.pending(1, ["deliver_output"])).length > 0 && Date.now() < deadline) {
    await outputs.drain();
    await sleep(20);
  }
  return (await outbox.undelivered(["deliver_output"])).flatMap(({ message, lastError }) => {
    if (message.kind !== "deliver_output") return [];
    const id = formatTaskId(message.taskId);
    const why =
      lastError === null
        ? `${describeDestination(message.destination)}, not tried yet`
        : oneLine(lastError, 160);
    return [
      `(${id}'s output is not delivered yet: ${why}; Steward retries it when it starts again)`,
    ];
  });
}
