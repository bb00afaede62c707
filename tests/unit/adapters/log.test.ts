import { describe, expect, it } from "vitest";
import {
  createLogger,
  type LogOptions,
  secretsIn,
  warnOfClockOffset,
} from "../../../src/adapters/log.js";

function capture(options: Partial<LogOptions> = {}) {
  const lines: string[] = [];
  const logger = createLogger({
    level: "info",
    format: "json",
    stream: { write: (line: string) => lines.push(line) },
    ...options,
  });
  return { logger, lines, json: () => lines.map((line) => JSON.parse(line)) };
}

describe("the log", () => {
  it("writes one JSON object per event, with level, time and message", () => {
    const { logger, lines, json } = capture();
    logger.info("listening on http://127.0.0.1:8787", { port: 8787 });
    logger.error("console failed", { error: "Error: boom\n    at line 1\n    at line 2" });
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line.trimEnd()).not.toContain("\n");
    expect(json()[0]).toEqual({
      level: "info",
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      msg: "listening on http://127.0.0.1:8787",
      port: 8787,
    });
  });

  it("leaves out what is below LOG_LEVEL", () => {
    const { logger, json } = capture({ level: "warn" });
    logger.info("quiet");
    logger.warn("loud");
    expect(json().map((entry) => entry.msg)).toEqual(["loud"]);
  });

  it("redacts secrets by key and by value, in the message and in the context", () => {
    const token = "MTIzNDU2Nzg5.discord-token-value";
    const { logger, lines } = capture({ secrets: secretsIn({ DISCORD_TOKEN: token, USER: "x" }) });
    logger.warn(`login failed with ${token}`, {
      token: "anything",
      request: { headers: { authorization: "Bot abc" }, url: `https://x/?t=${token}` },
    });
    const text = lines.join("");
    expect(text).not.toContain(token);
    expect(text).not.toContain("anything");
    expect(text).not.toContain("Bot abc");
    expect(JSON.parse(text)).toMatchObject({
      msg: "login failed with [redacted]",
      token: "[redacted]",
      request: { url: "https://x/?t=[redacted]" },
    });
  });

  it("pretty: one readable line per event, a multi-line message kept on it", () => {
    const { logger, lines } = capture({ format: "pretty" });
    logger.info("steward started", { version: "0.1.0", http: "http://127.0.0.1:8787" });
    logger.warn("two\nlines");
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO {2}steward started version=0\.1\.0 http=http:\/\/127\.0\.0\.1:8787\n$/,
    );
    expect(lines[1]).toMatch(/ WARN {2}two\\nlines\n$/);
  });

  it("warns of a host clock a second or more off the database server's, and says which way", () => {
    const { logger, json } = capture();
    for (const offset of [undefined, 0, 999, -999, 31_200, -2_000])
      warnOfClockOffset(logger, offset);
    expect(json().map((entry) => [entry.level, entry.msg])).toEqual([
      [
        "warn",
        "this host's clock is 31.2 s behind the database server's: Steward keeps the server's time (is NTP running here?)",
      ],
      [
        "warn",
        "this host's clock is 2.0 s ahead of the database server's: Steward keeps the server's time (is NTP running here?)",
      ],
    ]);
  });
});
