import { REST, Routes } from "discord.js";
import type { Config } from "../../config/schema.js";
import { commandBodies } from "./commands.js";

export interface RegisterOptions {
  token: string;
  apiBase?: string;
  /** The bot's application id; asked of the API when not known yet. */
  applicationId?: string;
  /** A REST client to reuse (the running bot's); one is made from the token otherwise. */
  rest?: REST;
}

/**
 * Bulk-overwrites the guild's commands with Steward's: one PUT, so a renamed or removed
 * command disappears and registering twice changes nothing. Returns the names registered.
 */
export async function registerCommands(
  config: Config,
  options: RegisterOptions,
): Promise<string[]> {
  const guild = config.discord.guild;
  if (guild === "") {
    throw new Error("discord.guild is not configured: set DISCORD_GUILD_ID to register commands");
  }
  const rest =
    options.rest ??
    new REST(options.apiBase === undefined ? {} : { api: options.apiBase }).setToken(options.token);
  const applicationId =
    options.applicationId ?? ((await rest.get(Routes.currentApplication())) as { id: string }).id;
  const bodies = commandBodies(config);
  await rest.put(Routes.applicationGuildCommands(applicationId, guild), { body: bodies });
  return bodies.map((body) => body.name);
}
