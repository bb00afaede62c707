import { DEFAULT_CONFIG_PATH, type Env } from "./load.js";

/** Where the database is kept when STEWARD_DB does not say. */
export const DEFAULT_DB_PATH = "data/steward.db";

/** The environment contract (README.md, "Environment"), read in one place. */
export interface Settings {
  configPath: string;
  dbPath: string;
  discordToken: string | undefined;
  discordApiBase: string | undefined;
  httpPort: number;
  logLevel: LogLevel;
  /** Unset: `pretty` on a terminal, `json` otherwise. */
  logFormat: LogFormat | undefined;
}

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["json", "pretty"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export function readSettings(env: Env = process.env): Settings {
  const port = env.STEWARD_HTTP_PORT;
  return {
    configPath: env.STEWARD_CONFIG || DEFAULT_CONFIG_PATH,
    dbPath: databasePath(env.STEWARD_DB || DEFAULT_DB_PATH),
    discordToken: env.DISCORD_TOKEN || undefined,
    discordApiBase: env.DISCORD_API_BASE ? parseUrl(env.DISCORD_API_BASE) : undefined,
    httpPort: port === undefined || port === "" ? 8787 : parsePort(port),
    logLevel: oneOf("LOG_LEVEL", env.LOG_LEVEL?.toLowerCase() || "info", LOG_LEVELS),
    logFormat: env.LOG_FORMAT ? oneOf("LOG_FORMAT", env.LOG_FORMAT, LOG_FORMATS) : undefined,
  };
}

/**
 * A SQLite file. A URL is refused rather than opened as a path (which made a folder named
 * `postgres:`): the PostgreSQL store is held to the stores' contract, but serving does not run
 * on it yet. The URL is not repeated, for its password.
 */
function databasePath(value: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) return value;
  if (scheme === "postgres" || scheme === "postgresql") {
    throw new Error(
      "STEWARD_DB: a PostgreSQL URL; this version of Steward serves from a SQLite file only" +
        " (`steward migrate-store` copies one into PostgreSQL for when it does): set STEWARD_DB" +
        " to a file path, or leave it unset for data/steward.db",
    );
  }
  throw new Error(`STEWARD_DB: expected a SQLite file path, got a ${scheme}:// URL`);
}

function oneOf<T extends string>(name: string, text: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw new Error(`${name}: expected one of ${allowed.join(", ")}, got "${text}"`);
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
