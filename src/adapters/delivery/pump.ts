import type { Engine } from "../../engine/engine.js";
import { OutboxPump } from "../outbox-pump.js";
import { deliverOutput, RefusedDestination } from "./outputs.js";

/** Delivers outputs bound for files and webhooks, whichever chat adapter is running. */
export function outputDelivery(engine: Engine): OutboxPump {
  return new OutboxPump({
    outbox: engine.outbox,
    committed: () => engine.tasks.committed(),
    clock: engine.clock,
    logger: engine.logger,
    kinds: ["deliver_output"],
    isPermanent: (error) => error instanceof RefusedDestination,
    deliver: async ({ message }) => {
      if (message.kind !== "deliver_output") return;
      await deliverOutput(
        engine.tasks.require(message.taskId),
        message.destination,
        engine.config.delivery,
      );
      engine.markDelivered(message.taskId);
    },
  });
}
