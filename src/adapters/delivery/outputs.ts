import type { Config } from "../../config/schema.js";
import { type Destination, describeDestination } from "../../core/destination.js";
import { formatTaskId } from "../../core/states.js";
import type { Task } from "../../core/task.js";
import { urlRefusal } from "../../core/url-fence.js";
import { writeNewFile } from "./file-output.js";
import { RefusedDestination } from "./refused.js";

export { RefusedDestination } from "./refused.js";

/**
 * Writes an output where its brief said: a file below `delivery.dir`, or a POST to an allowed
 * URL. Task text chose the destination, so both are fenced: no path outside the folder, no
 * URL that the config does not allow, no redirect followed. Returns where it went, in words.
 */
export async function deliverOutput(
  task: Task,
  destination: Destination,
  config: Config["delivery"],
): Promise<string> {
  const output = task.output ?? "";
  if (destination.kind === "file") {
    const text = output.endsWith("\n") ? output : `${output}\n`;
    const written = await writeNewFile(config.dir, destination.path, text, formatTaskId(task.id));
    return describeDestination({ kind: "file", path: written });
  }
  if (destination.kind === "webhook") {
    const refusal = urlRefusal(destination.url, config.allowed_urls);
    if (refusal !== undefined) throw new RefusedDestination(refusal);
    const response = await fetch(destination.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        // The same on every try: a POST sent again (its answer lost, a deliverer killed mid-send)
        // can be told from a new output by the receiver.
        "idempotency-key": `steward-output-${formatTaskId(task.id)}`,
      },
      body: JSON.stringify({
        task: formatTaskId(task.id),
        category: task.category,
        objective: task.objective,
        output,
      }),
      // A redirect would send the output to a place the fence never checked.
      redirect: "manual",
      signal: AbortSignal.timeout(15_000),
    });
    // Only the status matters; the body is released so the connection can be reused.
    await response.body?.cancel();
    const where = describeDestination(destination);
    if (response.status >= 300 && response.status < 400) {
      throw new RefusedDestination(
        `${where} answered ${response.status} (a redirect); Steward does not follow redirects`,
      );
    }
    if (!response.ok) throw new Error(`${where} answered ${response.status}`);
    return where;
  }
  throw new RefusedDestination(`${destination.kind} outputs are delivered by the chat adapter`);
}
