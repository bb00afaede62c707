import { type DestinationStream, pino } from "pino";
import type { LogFormat, LogLevel } from "../config/env.js";
import { describeError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { quietRepeats } from "../core/quiet-repeats.js";
import { prettyLine } from "./log-pretty.js";

export interface LogOptions {
  level: LogLevel;
  format: LogFormat;
  /** Append to this file instead of stderr (the console as the interface: see main). */
  file?: string;
  /** Write here instead (tests). */
  stream?: { write(line: string): unknown };
  /** Values never to print (tokens, webhook secrets, API keys), wherever they appear. */
  secrets?: readonly string[];
}

/** Keys whose values are replaced wherever they appear in a log entry's context. */
const SECRET_KEYS = ["token", "secret", "password", "authorization", "api_key", "apiKey"];
const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
export const REDACTED = "[redacted]";

/** Environment variables that hold secrets by their name: `DISCORD_TOKEN`, `…_SECRET`, `…_KEY`. */
export function secretsIn(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => /TOKEN|SECRET|PASSWORD|KEY/i.test(name) && (value?.length ?? 0) >= 8)
    .map(([, value]) => value as string);
}

/**
 * pino, one JSON object (or one pretty line) per event, written synchronously so the line
 * before an exit is never lost. Secrets are scrubbed from messages and context by value, and
 * from context by key.
 */
export function createLogger(options: LogOptions): Logger {
  const sink: DestinationStream =
    options.stream ??
    pino.destination(
      options.file === undefined
        ? { fd: 2, sync: true }
        : { dest: options.file, sync: true, mkdir: true, append: true },
    );
  const out: DestinationStream = {
    write: (line) => sink.write(options.format === "pretty" ? prettyLine(line) : inertJson(line)),
  };
  const base = pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
    },
    out,
  );
  const secrets = (options.secrets ?? []).filter((secret) => secret.length > 0);
  const scrub = <T>(value: T): T => (secrets.length === 0 ? value : scrubValue(value, secrets));
  const emit =
    (level: "info" | "warn" | "error") => (message: string, context?: Record<string, unknown>) => {
      if (context === undefined) base[level](scrub(message));
      else base[level](scrub(context), scrub(message));
    };
  return { info: emit("info"), warn: emit("warn"), error: emit("error") };
}

/**
 * JSON escapes C0 controls but not C1 (U+0080–U+009F, such as the one-byte CSI a terminal acts
 * on): those are escaped too, still valid JSON, so a JSON log read in a terminal stays inert.
 */
function inertJson(line: string): string {
  return line.replace(
    /[\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function scrubValue<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === "string") {
    let text: string = value;
    for (const secret of secrets) text = text.split(secret).join(REDACTED);
    return text as T;
  }
  if (value instanceof Error) return scrubValue(value.stack ?? value.message, secrets) as T;
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, secrets)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, scrubValue(item, secrets)]),
    ) as T;
  }
  return value;
}

/** What a process says when its database connections fail, by where they failed. */
export interface DatabaseWarnings {
  /** A connection of the pool broke. */
  connection(error: Error): void;
  /** The roles' connection failed (PostgreSQL's advisory locks). */
  roles(error: Error): void;
  /** The wake-ups' connection failed (LISTEN). */
  wakeups(error: Error): void;
}

/**
 * Warnings of a process's database connections. Each retries every few seconds while the
 * database is down: the same line is written once a minute, with how many were held back.
 */
export function databaseWarnings(logger: Logger): DatabaseWarnings {
  const warn = quietRepeats((line) => logger.warn(line), Date.now);
  return {
    connection: (error) => warn(`database: a connection broke: ${describeError(error)}`),
    roles: (error) => warn(`roles: ${describeError(error)}`),
    wakeups: (error) => warn(`wake-ups: ${describeError(error)}`),
  };
}

/** Less than this between a host's clock and the database server's is nothing to say. */
const NOTABLE_CLOCK_OFFSET_MS = 1_000;

/**
 * Says so when this host's clock is off the database server's (`OpenStore.clockOffsetMs`):
 * Steward keeps the server's time, but the host's other programs and logs do not.
 */
export function warnOfClockOffset(logger: Logger, offsetMs: number | undefined): void {
  if (offsetMs === undefined || Math.abs(offsetMs) < NOTABLE_CLOCK_OFFSET_MS) return;
  const seconds = (Math.abs(offsetMs) / 1000).toFixed(1);
  const way = offsetMs > 0 ? "behind" : "ahead of";
  logger.warn(
    `this host's clock is ${seconds} s ${way} the database server's: Steward keeps the server's time (is NTP running here?)`,
  );
}
