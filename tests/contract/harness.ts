import { afterEach, beforeEach } from "vitest";
import type { ManualClock } from "../../src/core/clock.js";
import type { NewTask, TransitionRequest } from "../../src/core/ports.js";
import type { Store } from "../../src/db/store.js";

/** A fresh, empty store on a clock the test moves. */
export interface OpenedStore {
  store: Store<"async">;
  clock: ManualClock;
  close(): Promise<void>;
}

export type OpenStore = () => Promise<OpenedStore>;

/** A fresh store for each test of the enclosing block, closed after it. */
export function freshStore(open: OpenStore): () => OpenedStore {
  let opened: OpenedStore | undefined;
  beforeEach(async () => {
    opened = await open();
  });
  afterEach(async () => {
    await opened?.close();
    opened = undefined;
  });
  return () => {
    if (opened === undefined) throw new Error("the store is opened before each test");
    return opened;
  };
}

/** A complete brief, queued in the content category unless `overrides` say otherwise. */
export function newTask(overrides: Partial<NewTask> = {}): NewTask {
  return {
    state: "queued",
    objective: "Write the weekly newsletter",
    inputs: ["last week's notes"],
    constraints: ["under 500 words"],
    outputFormat: "markdown",
    acceptanceCriteria: ["mentions the launch"],
    missingFields: [],
    category: "content",
    routing: {
      category: "content",
      classifier: "rules",
      rule: "explicit",
      score: 1,
      matched: ["newsletter"],
      explanation: "named in the request",
    },
    priority: 0,
    maxAttempts: 3,
    parentId: null,
    requester: "founder",
    source: "contract",
    sourceRef: { channel: "tests" },
    dedupeKey: null,
    ...overrides,
  };
}

/** The first event of a task filed by a test. */
export const FILED: Omit<TransitionRequest, "patch"> = { actor: "tester", reason: "filed" };

/** Lets other callers' promises run before going on. */
export function otherTurns(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
