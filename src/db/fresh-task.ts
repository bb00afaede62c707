import type { NewTask } from "../core/ports.js";
import type { Task } from "../core/task.js";

/**
 * A new task as it will be stored: what its creator gave, nothing happened to it yet, filed
 * `now`. Every field is written out, so the object has one shape and `create` returns it
 * without reading the row back (a read and a spread of thirty fields cost more than the
 * insert's own work; tests hold it equal to the stored row). `id` is set once inserted.
 */
export function freshTask(task: NewTask, now: number): Task {
  return {
    id: 0,
    state: task.state,
    objective: task.objective,
    inputs: task.inputs,
    constraints: task.constraints,
    outputFormat: task.outputFormat,
    acceptanceCriteria: task.acceptanceCriteria,
    missingFields: task.missingFields,
    feedback: task.feedback ?? [],
    category: task.category,
    routing: task.routing,
    priority: task.priority,
    attempts: 0,
    maxAttempts: task.maxAttempts,
    nextRunAt: task.nextRunAt ?? now,
    leaseOwner: null,
    leaseExpiresAt: null,
    parentId: task.parentId,
    nextId: null,
    requester: task.requester,
    source: task.source,
    sourceRef: task.sourceRef,
    dedupeKey: task.dedupeKey,
    output: null,
    outputMeta: null,
    deliveredAt: null,
    failureClass: null,
    lastError: null,
    createdAt: now,
    updatedAt: now,
    stateSince: now,
  };
}
