/** A task event's fields as both stores insert them, in this order. */
export const EVENT_FIELDS = [
  "taskId",
  "from",
  "to",
  "at",
  "enteredAt",
  "actor",
  "reason",
  "data",
] as const;

export type EventField = (typeof EVENT_FIELDS)[number];
