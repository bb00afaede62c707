import { describe } from "vitest";
import { chatRefContract } from "./chat-refs.js";
import { escalationContract } from "./escalations.js";
import type { OpenStore } from "./harness.js";
import { monitorContract } from "./monitor.js";
import { outboxContract } from "./outbox.js";
import { processContract } from "./processes.js";
import { queueContract } from "./queue.js";
import { reviewContract } from "./review.js";
import { routingExampleContract } from "./routing-examples.js";
import { scheduleContract } from "./schedules.js";
import { statusContract } from "./status.js";
import { taskContract } from "./tasks.js";
import { writeContract } from "./writes.js";

export type { OpenedStore, OpenStore } from "./harness.js";

/**
 * What every `Store<"async">` promises, specified once through the ports alone (no SQL, nothing
 * of one database): `tests/contract/<store>.test.ts` runs it on SQLite, PostgreSQL…, each test
 * on a fresh, empty store.
 */
export function storeContract(name: string, open: OpenStore): void {
  describe(`the store contract: ${name}`, () => {
    taskContract(open);
    writeContract(open);
    queueContract(open);
    outboxContract(open);
    escalationContract(open);
    processContract(open);
    monitorContract(open);
    reviewContract(open);
    statusContract(open);
    chatRefContract(open);
    scheduleContract(open);
    routingExampleContract(open);
  });
}
