import type { Settings } from "../../config/env.js";
import type { Config } from "../../config/schema.js";
import { parseTaskId } from "../../core/states.js";
import { withEngine } from "../../engine/open.js";
import { statusDetail, statusOverview } from "./status-view.js";

/** `steward status [T-4] [--json]`: the console's status view, for scripts and a quick look. */
export async function statusCommand(
  settings: Settings,
  config: Config,
  task: string | undefined,
  json: boolean,
): Promise<void> {
  // Not started: it only reads, and never claims a task from a running Steward.
  await withEngine(settings, config, async (engine) => {
    const reader = engine.status;
    if (task !== undefined) {
      const id = parseTaskId(task);
      if (id === undefined) throw new Error(`"${task}" is not a task id (T-42 or 42)`);
      const detail = await reader.task(id);
      console.log(json ? JSON.stringify(detail, null, 2) : statusDetail(detail));
      return;
    }
    const snapshot = await reader.snapshot();
    console.log(json ? JSON.stringify(snapshot, null, 2) : statusOverview(snapshot));
  });
}
