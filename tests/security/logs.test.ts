/** The log on stderr: what outside text inside a log entry can and cannot do to it. */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { stderrLogger } from "../../src/adapters/log.js";
import { expectInert } from "./inert.js";

function captured() {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk.toString("utf8")));
  return { stream, text: () => chunks.join("") };
}

describe("log entries", () => {
  it("a newline or an escape sequence in a message cannot forge a line or drive the terminal", () => {
    const sink = captured();
    const logger = stderrLogger(sink.stream);
    logger.warn("T-3 failed: boom\x07\n2026-12-06T06:24:00.000Z info all good\x1b[2J", {
      error: "stack\nline\x9b31m",
    });
    const text = sink.text();
    expect(text.split("\n")).toHaveLength(2); // one entry, then the final newline
    expect(text).toContain("boom\\x07\\n2026-12-06T06:24:00.000Z info all good ");
    expectInert(text.trimEnd());
  });
});
