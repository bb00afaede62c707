import type { StageRequest } from "../escalation/store.js";

/** A group opened for a root cause's first task: staged, its window starting `now`. */
export function newGroup(request: StageRequest, now: number) {
  return {
    state: "staged" as const,
    rootCause: request.rootCause,
    failureClass: request.failureClass,
    category: request.category,
    worker: request.worker,
    summary: request.summary(1),
    urgent: request.urgent,
    createdAt: now,
    postAfter: request.postAfter,
  };
}
