import type { NewTask } from "../src/core/ports.js";

/** A queued task as intake would file it (PostgreSQL tests; the values do not matter). */
export function queuedTask(overrides: Partial<NewTask> = {}): NewTask {
  return {
    state: "queued",
    objective: "Write the weekly newsletter",
    inputs: [],
    constraints: [],
    outputFormat: "markdown",
    acceptanceCriteria: [],
    missingFields: [],
    category: "content",
    routing: {
      category: "content",
      classifier: "rules",
      rule: "explicit",
      score: 1,
      matched: [],
      explanation: "test",
    },
    priority: 0,
    maxAttempts: 3,
    parentId: null,
    requester: "tester",
    source: "test",
    sourceRef: {},
    dedupeKey: null,
    ...overrides,
  };
}

export const FILED = { actor: "tester", reason: "filed by the test" };
