import { DEFAULT_CONFIG_PATH, type Env } from "./load.js";

/** Where the database is kept when STEWARD_DB does not say. */
export const DEFAULT_DB_PATH = "data/steward.db";

/** The environment contract (README.md, "Environment"), read in one place. */
export interface Settings {
  configPath: string;
  /** From STEWARD_DB; unset, the config's `database.url` or else `DEFAULT_DB_PATH` (`locateStore`). */
  store: StoreLocation | undefined;
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
    store: env.STEWARD_DB ? storeLocation("STEWARD_DB", env.STEWARD_DB) : undefined,
    discordToken: env.DISCORD_TOKEN || undefined,
    discordApiBase: env.DISCORD_API_BASE ? parseUrl(env.DISCORD_API_BASE) : undefined,
    httpPort: port === undefined || port === "" ? 8787 : parsePort(port),
    logLevel: oneOf("LOG_LEVEL", env.LOG_LEVEL?.toLowerCase() || "info", LOG_LEVELS),
    logFormat: env.LOG_FORMAT ? oneOf("LOG_FORMAT", env.LOG_FORMAT, LOG_FORMATS) : undefined,
  };
}

/** Where the data lives: a SQLite file, or a PostgreSQL database several processes share. */
export type StoreLocation = { kind: "sqlite"; path: string } | { kind: "postgres"; url: string };

/**
 * What `setting` names: a `postgres://` URL, or else a SQLite file path. Another scheme is
 * refused rather than opened as a path (which would make a folder named `mysql:`); the URL is
 * not repeated, for its password.
 */
export function storeLocation(setting: string, value: string): StoreLocation {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: "sqlite", path: value };
  if ((scheme === "postgres" || scheme === "postgresql") && URL.canParse(value)) {
    return { kind: "postgres", url: value };
  }
  throw new Error(
    `${setting}: expected a SQLite file path or a postgres://user@host:port/database URL, got a ${scheme}:// value`,
  );
}

/** STEWARD_DB wins over the config's `database.url`; neither set, the SQLite file by default. */
export function locateStore(
  settings: Pick<Settings, "store">,
  config: { database: { url?: string } },
): StoreLocation {
  if (settings.store !== undefined) return settings.store;
  const { url } = config.database;
  if (url !== undefined) return storeLocation("database.url", url);
  return { kind: "sqlite", path: DEFAULT_DB_PATH };
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
