import { DEFAULT_DB_PATH } from "../db/connection.js";
import { DEFAULT_CONFIG_PATH, type Env } from "./load.js";

/** The environment contract of DESIGN.md, read in one place. */
export interface Settings {
  configPath: string;
  dbPath: string;
  discordToken: string | undefined;
  discordApiBase: string | undefined;
  httpPort: number;
}

export function readSettings(env: Env = process.env): Settings {
  const port = env.STEWARD_HTTP_PORT;
  return {
    configPath: env.STEWARD_CONFIG || DEFAULT_CONFIG_PATH,
    dbPath: env.STEWARD_DB || DEFAULT_DB_PATH,
    discordToken: env.DISCORD_TOKEN || undefined,
    discordApiBase: env.DISCORD_API_BASE ? parseUrl(env.DISCORD_API_BASE) : undefined,
    httpPort: port === undefined || port === "" ? 8787 : parsePort(port),
  };
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`STEWARD_HTTP_PORT: expected a port number from 0 to 65535, got "${text}"`);
  }
  return port;
}

function parseUrl(text: string): string {
  if (!URL.canParse(text)) {
    throw new Error(
      `DISCORD_API_BASE: expected a URL like http://127.0.0.1:PORT/api, got ${JSON.stringify(text)}`,
    );
  }
  return text;
}
