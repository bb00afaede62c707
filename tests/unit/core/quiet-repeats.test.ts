import { describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/core/clock.js";
import { describeError } from "../../../src/core/errors.js";
import { quietRepeats } from "../../../src/core/quiet-repeats.js";

/** `quietRepeats` over a list of the lines written, on a manual clock, a minute's window. */
function recorded() {
  const clock = new ManualClock(0);
  const lines: string[] = [];
  const say = quietRepeats(
    (line) => lines.push(line),
    () => clock.now(),
    60_000,
  );
  return { clock, lines, say };
}

describe("a log line said again and again", () => {
  it("is written once a window, then with how many like it were held back", () => {
    const { clock, lines, say } = recorded();

    for (let poll = 0; poll < 30; poll++) {
      say("worker pool: claiming tasks: the database is not accepting connections");
      say(`worker pool: running T-${poll % 2}: connection terminated`);
      clock.advance(2_000);
    }
    say("worker pool: claiming tasks: the database is not accepting connections");

    expect(lines).toEqual([
      "worker pool: claiming tasks: the database is not accepting connections",
      "worker pool: running T-0: connection terminated",
      "worker pool: running T-1: connection terminated",
      "worker pool: claiming tasks: the database is not accepting connections (and 29 more like it since the last)",
    ]);
  });

  it("forgets the oldest lines first, so a long run's distinct lines do not pile up", () => {
    const { lines, say } = recorded();
    for (let task = 0; task <= 200; task++) say(`running T-${task}: failed`);
    say("running T-0: failed");
    say("running T-200: failed");
    expect(lines.slice(-1)).toEqual(["running T-0: failed"]);
    expect(lines).toHaveLength(202);
  });
});

describe("an error described for a log line", () => {
  it("puts a wrapper's cause first, then the wrapper's first line", () => {
    const server = new Error('database "steward" is not currently accepting connections');
    const wrapped = new Error('Failed query: update "processes" set …\nparams: 1,2', {
      cause: server,
    });
    expect(describeError(wrapped)).toBe(
      'database "steward" is not currently accepting connections (Failed query: update "processes" set …)',
    );
    expect(describeError(new Error("plain"))).toBe("plain");
  });
});
