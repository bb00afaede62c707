import type { Engine } from "../../engine/engine.js";
import { engineOutbox, OutboxPump } from "../outbox-pump.js";
import { deliverOutput, RefusedDestination } from "./outputs.js";

/** Delivers outputs bound for files and webhooks, whichever chat adapter is running. */
export function outputDelivery(engine: Engine): OutboxPump {
  return new OutboxPump({
    ...engineOutbox(engine),
    logger: engine.logger,
    kinds: ["deliver_output"],
    isPermanent: (error) => error instanceof RefusedDestination,
    deliver: async ({ message }) => {
      if (message.kind !== "deliver_output") return;
      const task = await engine.task(message.taskId);
      try {
        const where = await deliverOutput(task, message.destination, engine.config.delivery);
        await engine.outputDelivered(task.id, where);
      } catch (error) {
        // Parked by the pump (isPermanent); the requester hears it once (the outbox key).
        if (error instanceof RefusedDestination) await engine.outputRefused(task.id, error.message);
        throw error;
      }
    },
  });
}
