import type { NewTask } from "../../src/core/ports.js";

/** The first event of a benchmark's task. */
export const FILED = { actor: "bench", reason: "filed" };

/** A queued content task, numbered `i`: what the storage benchmarks file. */
export function benchTask(i: number, priority = 0): NewTask {
  return {
    state: "queued",
    objective: `task ${i}`,
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
      explanation: "bench",
    },
    priority,
    maxAttempts: 3,
    parentId: null,
    requester: "bench",
    source: "bench",
    sourceRef: {},
    dedupeKey: null,
  };
}
