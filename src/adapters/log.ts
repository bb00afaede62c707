import type { Logger } from "../core/log.js";
import { printable } from "../core/printable.js";

/**
 * One line per entry on stderr, so it never mixes with a console session on stdout. Messages
 * may quote outside text (a task's objective, a worker's error): newlines and control
 * characters are escaped, so an entry can neither forge another nor drive the terminal.
 */
export function stderrLogger(stream: NodeJS.WritableStream = process.stderr): Logger {
  const write = (level: string, message: string, context?: Record<string, unknown>) => {
    const extra = context === undefined ? "" : ` ${JSON.stringify(context)}`;
    stream.write(
      `${new Date().toISOString()} ${level} ${printable(`${message}${extra}`, "escape")}\n`,
    );
  };
  return {
    info: (message, context) => write("info", message, context),
    warn: (message, context) => write("warn", message, context),
    error: (message, context) => write("error", message, context),
  };
}
