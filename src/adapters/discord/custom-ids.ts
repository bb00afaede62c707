/**
 * Every custom id Steward puts on a button, select or modal is encoded and parsed here, before
 * any handler runs: `esc:retry:7`, `esc:reroute:7:42`, `task:details:42`, `task:new:support:1`.
 */

export const ESCALATION_ACTIONS = ["retry", "reroute", "cancel", "edit", "pick"] as const;
export type EscalationAction = (typeof ESCALATION_ACTIONS)[number];

export type CustomId =
  /** A decision on escalation E-n; `taskId` narrows it to one task of a group. */
  | { kind: "escalation"; action: EscalationAction; escalationId: number; taskId?: number }
  /** The requester's Add details button and the modal it opens. */
  | { kind: "task_details"; taskId: number }
  /** The /task modal, carrying the options typed before it opened. */
  | { kind: "new_task"; category?: string; priority?: number };

export function encodeCustomId(id: CustomId): string {
  switch (id.kind) {
    case "escalation":
      return ["esc", id.action, id.escalationId, ...(id.taskId === undefined ? [] : [id.taskId])]
        .map(String)
        .join(":");
    case "task_details":
      return `task:details:${id.taskId}`;
    case "new_task":
      return `task:new:${id.category ?? "-"}:${id.priority ?? "-"}`;
  }
}

const POSITIVE = /^[1-9]\d{0,15}$/;
const INTEGER = /^-?\d{1,6}$/;
const CATEGORY = /^[a-z][a-z0-9_-]*$/;

function positive(text: string | undefined): number | undefined {
  return text !== undefined && POSITIVE.test(text) ? Number(text) : undefined;
}

/** The id's meaning, or undefined for anything Steward did not encode (never trusted further). */
export function parseCustomId(text: string): CustomId | undefined {
  const parts = text.split(":");
  const [scope, verb, first, second, ...rest] = parts;
  if (rest.length > 0) return undefined;
  if (scope === "esc") {
    const action = ESCALATION_ACTIONS.find((known) => known === verb);
    const escalationId = positive(first);
    const taskId = positive(second);
    if (action === undefined || escalationId === undefined) return undefined;
    if (second !== undefined && taskId === undefined) return undefined;
    return taskId === undefined
      ? { kind: "escalation", action, escalationId }
      : { kind: "escalation", action, escalationId, taskId };
  }
  if (scope === "task" && verb === "details" && second === undefined) {
    const taskId = positive(first);
    return taskId === undefined ? undefined : { kind: "task_details", taskId };
  }
  if (scope === "task" && verb === "new" && first !== undefined && second !== undefined) {
    if (first !== "-" && !CATEGORY.test(first)) return undefined;
    if (second !== "-" && !INTEGER.test(second)) return undefined;
    return {
      kind: "new_task",
      ...(first === "-" ? {} : { category: first }),
      ...(second === "-" ? {} : { priority: Number(second) }),
    };
  }
  return undefined;
}
