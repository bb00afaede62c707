/** The log: what outside text inside a log entry can and cannot do to it, in either format. */
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/adapters/log.js";
import { expectInert } from "./inert.js";

function captured(format: "json" | "pretty") {
  const lines: string[] = [];
  const logger = createLogger({
    level: "info",
    format,
    stream: { write: (line) => lines.push(line) },
  });
  return { logger, text: () => lines.join("") };
}

describe("log entries", () => {
  it.each(["pretty", "json"] as const)(
    "%s: a newline or an escape sequence in a message cannot forge a line or drive the terminal",
    (format) => {
      const sink = captured(format);
      sink.logger.warn("T-3 failed: boom\x07\n2026-12-06T06:24:00.000Z info all good\x1b[2J", {
        error: "stack\nline\x9b31m",
      });
      const text = sink.text();
      expect(text.split("\n")).toHaveLength(2); // one entry, then the final newline
      expect(text).toMatch(/boom\\(x07|u0007)\\n2026-12-06T06:24:00\.000Z info all good/);
      expectInert(text.trimEnd());
    },
  );
});
