/* Task ids as SQL returns them (`group_concat` text), and the few kept as examples. */

/** Example task ids kept per group (anomaly rule, repeated failure). */
export const EXAMPLES = 5;

/** A row as SQL returns it: the ids as `group_concat` text. */
export type WithIdList<T extends { taskIds: number[] }> = Omit<T, "taskIds"> & {
  taskIds: string | null;
};

export function withIds<T extends { taskIds: number[] }>(row: WithIdList<T>): T {
  // group_concat's order is not guaranteed: the lowest ids are the examples, always the same.
  const taskIds = idList(row.taskIds).sort((a, b) => a - b);
  return { ...row, taskIds: taskIds.slice(0, EXAMPLES) } as T;
}

/** Ids as `group_concat` writes them. */
export function idList(text: string | null): number[] {
  return text === null || text === "" ? [] : text.split(",").map(Number);
}
