import review from "../../../commands/review.js";
import status from "../../../commands/status.js";
import task from "../../../commands/task.js";
import type { Config } from "../../config/schema.js";
import type { Command } from "./command.js";

/** Every slash command Steward has, by name. */
export const COMMANDS: ReadonlyMap<string, Command> = new Map([
  ["task", task],
  ["status", status],
  ["review", review],
]);

/** The bodies registered with Discord (bulk overwrite). */
export function commandBodies(config: Config) {
  return [...COMMANDS.values()].map((command) => command.data(config));
}
