import type { GroupSnapshot } from "../../../src/adapters/console/escalation-cards.js";
import type { ConsoleView } from "../../../src/adapters/console/format.js";
import type { Task, TaskEvent } from "../../../src/core/task.js";
import type { AttemptRow } from "../../../src/db/schema.js";
import type { TaskDetail } from "../../../src/engine/engine.js";
import { type EscalationView, formatEscalation } from "../../../src/escalation/format.js";

/** 2026-01-05 09:00:00 UTC; the tests run with TZ=UTC so stamps read the same everywhere. */
export const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

export const VIEW: ConsoleView = {
  categories: [
    { name: "support", catchAll: false, worker: "demo-writer" },
    { name: "content", catchAll: false, worker: "demo-writer" },
    { name: "research", catchAll: false, worker: "demo-writer" },
    { name: "unsorted", catchAll: true },
  ],
};

export function task(overrides: Partial<Task> = {}): Task {
  return {
    id: 4,
    state: "queued",
    objective: "Draft a blog post about our launch",
    inputs: [],
    constraints: [],
    outputFormat: "markdown draft",
    acceptanceCriteria: ["under 500 words"],
    missingFields: [],
    feedback: [],
    category: "content",
    routing: {
      category: "content",
      classifier: "rules",
      rule: "content.keywords",
      score: 0.8,
      matched: ["blog"],
      explanation: `keyword "blog" matched content's rules`,
    },
    priority: 0,
    attempts: 0,
    maxAttempts: 3,
    nextRunAt: T0,
    leaseOwner: null,
    leaseExpiresAt: null,
    parentId: null,
    nextId: null,
    requester: "owner",
    source: "console",
    sourceRef: {},
    dedupeKey: null,
    output: null,
    outputMeta: null,
    deliveredAt: null,
    failureClass: null,
    lastError: null,
    createdAt: T0,
    updatedAt: T0,
    stateSince: T0,
    ...overrides,
  };
}

export function attempt(overrides: Partial<AttemptRow> = {}): AttemptRow {
  return {
    id: 1,
    taskId: 4,
    number: 1,
    worker: "demo-writer",
    startedAt: T0 + 1000,
    endedAt: T0 + 3500,
    outcome: "failed",
    failureClass: "transient",
    error: "timed out after 1m",
    meta: null,
    ...overrides,
  };
}

export function event(overrides: Partial<TaskEvent> = {}): TaskEvent {
  return {
    id: 1,
    taskId: 4,
    from: "intake",
    to: "queued",
    at: T0,
    enteredAt: T0,
    actor: "owner",
    reason: "routed to content",
    data: null,
    ...overrides,
  };
}

export function detail(
  taskOverrides: Partial<Task> = {},
  attempts: AttemptRow[] = [],
  events: TaskEvent[] = [event()],
): TaskDetail {
  return { task: task(taskOverrides), attempts, events };
}

/**
 * An escalation group as the console receives it: the engine's real card (Discord markdown and
 * all) for tasks `ids` of `content`, failed with a transient error.
 */
export function group(
  ids: readonly number[] = [4],
  overrides: Partial<EscalationView> = {},
): GroupSnapshot {
  const view: EscalationView = {
    id: 3,
    summary: `${ids.length === 1 ? "1 task" : `${ids.length} tasks`} in \`content\` failed (transient): timed out after 1m`,
    failureClass: "transient",
    category: "content",
    worker: "demo-writer",
    urgent: false,
    createdAt: T0,
    members: ids.map((id) => ({
      task: task({
        id,
        state: "escalated",
        failureClass: "transient",
        lastError: "timed out after 1m",
      }),
      reason: "retries exhausted after 3 attempts: timed out after 1m",
      attempts: [
        {
          number: 1,
          startedAt: T0 + 1000,
          endedAt: T0 + 3500,
          outcome: "failed",
          failureClass: "transient",
          error: "timed out after 1m",
        },
      ],
      resolution: null,
    })),
    categories: ["support", "content", "research"],
    ...overrides,
  };
  return {
    card: formatEscalation(view),
    category: view.category,
    createdAt: view.createdAt,
    ...(view.resolved
      ? { resolved: { resolution: view.resolved.resolution, by: view.resolved.by } }
      : {}),
  };
}
