import type { Config } from "../config/schema.js";
import { MAX_FIELD_CHARS } from "../core/brief.js";
import { destinationOf } from "../core/destination.js";
import { StewardError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import type { Outbox } from "../core/outbox.js";
import type { TaskRepository } from "../core/ports.js";
import { formatTaskId } from "../core/states.js";
import type { Task } from "../core/task.js";
import type { Intake } from "../intake/intake.js";

/**
 * A category's `then:` step: a new task whose input is the first one's output, filed through
 * intake (so it is routed, defaulted and checked like any request) inside the transaction
 * that completes the first, and linked both ways.
 */
export async function createNextStep(
  intake: Intake,
  done: Task,
  nextCategory: string,
  config: Config,
): Promise<Task> {
  const category = config.categories.find((candidate) => candidate.name === nextCategory);
  const label = `Output of ${formatTaskId(done.id)} (${done.category}):\n`;
  const output = done.output ?? "";
  const room = MAX_FIELD_CHARS - label.length - 40;
  const input =
    output.length > room
      ? `${label}${output.slice(0, room)}\n[… cut: the full output is on ${formatTaskId(done.id)}]`
      : `${label}${output}`;
  const filed = await intake.submit({
    source: `pipeline:${done.category}`,
    requester: done.requester,
    category: nextCategory,
    parentId: done.id,
    sourceRef: done.sourceRef,
    priority: done.priority,
    dedupeKey: `after:${done.id}`,
    fields: {
      objective:
        category?.defaults.objective ??
        `${nextCategory} step for ${formatTaskId(done.id)}: ${done.objective}`,
      inputs: [input],
    },
  });
  return filed.task;
}

export interface CompletionDeps {
  config: Config;
  logger: Logger;
  intake: Intake;
  outbox: Outbox<"async">;
  tasks: Pick<TaskRepository<"async">, "write" | "update" | "get">;
  /** Told of the next step once the completion has committed. */
  changed(task: Task): void;
}

/**
 * Inside the transaction that completes `task`: its notice, its delivery and its `then:` step.
 * Returns the task as it now stands when a next step was linked to it.
 */
export async function onCompleted(deps: CompletionDeps, task: Task): Promise<Task | undefined> {
  const { config, outbox, tasks } = deps;
  const destination = destinationOf(task.outputFormat);
  await outbox.add({ kind: "task_done", taskId: task.id, destination }, `done:${task.id}`);
  if (destination.kind === "file" || destination.kind === "webhook") {
    await outbox.add(
      { kind: "deliver_output", taskId: task.id, destination },
      `deliver:${task.id}`,
    );
  }
  // A category removed from config since must not block the completion itself.
  const category = config.categories.find((candidate) => candidate.name === task.category);
  if (category?.then !== undefined) {
    const next = await fileNextStep(deps, task, category.then);
    if (next === undefined) return undefined;
    // Told once the completion has committed, from its commit, as every change is (emit).
    deps.changed(next);
    await tasks.update(task.id, { nextId: next.id });
    return tasks.get(task.id);
  }
  return undefined;
}

/**
 * The next step, in a savepoint of its own: one intake refuses (its objective grown past the
 * limit) must not undo the completion, nor the pool's group with it. The task is done without
 * it, which the status checker's missing-next rule reports.
 */
async function fileNextStep(
  deps: CompletionDeps,
  task: Task,
  nextCategory: string,
): Promise<Task | undefined> {
  try {
    return await deps.tasks.write(() =>
      createNextStep(deps.intake, task, nextCategory, deps.config),
    );
  } catch (error) {
    // Intake's refusals only: anything else (the database failing) fails the completion.
    if (!(error instanceof StewardError)) throw error;
    deps.logger.error(
      `${formatTaskId(task.id)} is done, but its next step (${nextCategory}) could not be filed: ${error.message}`,
    );
    return undefined;
  }
}
