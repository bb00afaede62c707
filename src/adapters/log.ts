import type { Logger } from "../core/log.js";

/** One line per entry on stderr, so it never mixes with a console session on stdout. */
export function stderrLogger(stream: NodeJS.WritableStream = process.stderr): Logger {
  const write = (level: string, message: string, context?: Record<string, unknown>) => {
    const extra = context === undefined ? "" : ` ${JSON.stringify(context)}`;
    stream.write(`${new Date().toISOString()} ${level} ${message}${extra}\n`);
  };
  return {
    info: (message, context) => write("info", message, context),
    warn: (message, context) => write("warn", message, context),
    error: (message, context) => write("error", message, context),
  };
}
