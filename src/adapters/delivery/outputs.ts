import { mkdir, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import type { Config } from "../../config/schema.js";
import type { Destination } from "../../core/destination.js";
import { formatTaskId } from "../../core/states.js";
import type { Task } from "../../core/task.js";

/** A delivery that can never succeed as written: retrying would not help. */
export class RefusedDestination extends Error {
  override name = "RefusedDestination";
}

/**
 * Writes an output where its brief said: a file below `delivery.dir`, or a POST to an allowed
 * URL. Task text chose the destination, so both are fenced: no path outside the folder, no
 * URL that the config does not allow.
 */
export async function deliverOutput(
  task: Task,
  destination: Destination,
  config: Config["delivery"],
): Promise<void> {
  const output = task.output ?? "";
  if (destination.kind === "file") {
    const path = fencedPath(config.dir, destination.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, output.endsWith("\n") ? output : `${output}\n`);
    return;
  }
  if (destination.kind === "webhook") {
    if (!config.allowed_urls.some((prefix) => destination.url.startsWith(prefix))) {
      throw new RefusedDestination(`${destination.url} is not in delivery.allowed_urls`);
    }
    const response = await fetch(destination.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        task: formatTaskId(task.id),
        category: task.category,
        objective: task.objective,
        output,
      }),
      signal: AbortSignal.timeout(15_000),
    });
    if (!response.ok) throw new Error(`${destination.url} answered ${response.status}`);
    return;
  }
  throw new RefusedDestination(`${destination.kind} outputs are delivered by the chat adapter`);
}

export function fencedPath(dir: string, path: string): string {
  const base = resolve(dir);
  const target = resolve(base, path.replace(/^~\//, ""));
  const inside = relative(base, target);
  if (inside === "" || inside.startsWith("..") || isAbsolute(inside)) {
    throw new RefusedDestination(`${path} is outside ${dir}`);
  }
  return target;
}
