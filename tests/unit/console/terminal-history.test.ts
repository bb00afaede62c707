import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { completer } from "../../../src/adapters/console/complete.js";
import { Terminal, type TerminalOptions } from "../../../src/adapters/console/terminal.js";
import { tempDir } from "../../helpers.js";

const UP = "\x1b[A";

/** A terminal as readline sees one: TTY streams a test types into. */
function fakeTerminal(options: TerminalOptions) {
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => {} });
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
  output.resume();
  const terminal = new Terminal(input, output, options);
  // Chunk by chunk: readline takes a chunk of several keys for a paste, and completes nothing
  // in it, so a Tab comes on its own.
  const type = async (...chunks: string[]) => {
    for (const chunk of chunks) {
      input.write(chunk);
      await new Promise((next) => setImmediate(next));
    }
  };
  return { terminal, type };
}

describe("the console on a terminal", () => {
  it("keeps its history across runs in the history file", async () => {
    const historyFile = join(tempDir(), ".steward_history");
    const first = fakeTerminal({ historyFile });
    const line = first.terminal.next();
    await first.type("Draft a blog post about our launch\r");
    expect(await line).toBe("Draft a blog post about our launch");
    first.terminal.close();
    expect(readFileSync(historyFile, "utf8")).toBe("Draft a blog post about our launch\n");

    const second = fakeTerminal({ historyFile });
    const recalled = second.terminal.next();
    await second.type(UP, "\r");
    expect(await recalled).toBe("Draft a blog post about our launch");
    second.terminal.close();
  });

  it("completes command words and open task ids with Tab", async () => {
    const { terminal, type } = fakeTerminal({
      completer: completer({ taskIds: () => [7], categories: [] }),
    });
    const line = terminal.next();
    await type("canc", "\t", " T-", "\t", "\r");
    expect(await line).toBe("cancel T-7");
    terminal.close();
  });
});
