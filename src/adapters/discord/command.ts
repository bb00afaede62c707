import type {
  ChatInputCommandInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from "discord.js";
import type { Config } from "../../config/schema.js";
import type { DiscordContext } from "./context.js";

/**
 * A slash command: its definition and its handler, one file each under `commands/`. `data`
 * takes the config because some choices (categories) come from it.
 */
export interface Command {
  data(config: Config): RESTPostAPIChatInputApplicationCommandsJSONBody;
  execute(interaction: ChatInputCommandInteraction, ctx: DiscordContext): Promise<void>;
}
