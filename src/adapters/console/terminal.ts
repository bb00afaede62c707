import { clearLine, createInterface, cursorTo, type Interface } from "node:readline";
import { printable } from "../../core/printable.js";
import type { Completer } from "./complete.js";
import { HISTORY_SIZE, loadHistory, saveHistory } from "./history.js";

export const PROMPT = "steward> ";

/** Ctrl-C on an empty line: a guided prompt stops, the REPL asks before leaving. */
export const INTERRUPTED = Symbol("interrupted");

/** What only a person at a terminal gets: history kept in a file, Tab completion. */
export interface TerminalOptions {
  historyFile?: string;
  completer?: Completer;
}

/** A line, an interrupt, or `undefined` once the input has ended. */
export type LineResult = string | typeof INTERRUPTED | undefined;

function isTty(stream: NodeJS.ReadableStream | NodeJS.WritableStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

/**
 * The console's I/O: lines come out one at a time (queued, so an async command never sees
 * its input interleaved with the next), and text goes out without garbling the prompt. On a
 * pipe there is no prompt and nothing is echoed; on a terminal there is `steward> `, history
 * (kept in a file across runs) and Tab completion.
 */
export class Terminal {
  readonly interactive: boolean;
  private readonly rl: Interface;
  private readonly queued: string[] = [];
  private waiter: ((line: LineResult) => void) | undefined;
  private ended = false;
  private broken = false;
  private commandAbort = new AbortController();

  constructor(
    input: NodeJS.ReadableStream,
    private readonly output: NodeJS.WritableStream,
    options: TerminalOptions = {},
  ) {
    this.interactive = isTty(input) && isTty(output);
    const { historyFile, completer } = options;
    this.rl = this.interactive
      ? createInterface({
          input,
          output,
          prompt: PROMPT,
          historySize: HISTORY_SIZE,
          history: historyFile === undefined ? [] : loadHistory(historyFile),
          removeHistoryDuplicates: true,
          completer:
            completer === undefined
              ? undefined
              : (line: string, done: (error: Error | null, result?: [string[], string]) => void) =>
                  void completer(line).then((result) => done(null, result), done),
          terminal: true,
        })
      : createInterface({ input, terminal: false, crlfDelay: Number.POSITIVE_INFINITY });
    if (this.interactive && historyFile !== undefined) {
      this.rl.on("history", (history: string[]) => saveHistory(historyFile, history));
    }
    this.rl.on("line", (line) => this.deliver(line));
    this.rl.on("close", () => this.end());
    if (this.interactive) this.rl.on("SIGINT", () => this.interrupt());
    // A reader that went away (`| head`) ends the session instead of crashing it.
    output.on("error", () => {
      this.broken = true;
      this.rl.close();
    });
  }

  /** The next line; on a terminal, `prompt` is shown while waiting for it. */
  next(prompt = PROMPT): Promise<LineResult> {
    const line = this.queued.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiter = resolve;
      if (this.interactive) {
        // A guided prompt may quote a field's current value: one inert line too.
        this.rl.setPrompt(printable(prompt, "escape"));
        this.rl.prompt();
      }
    });
  }

  /** Aborted by Ctrl-C while a command runs (a long `wait`). */
  get commandSignal(): AbortSignal {
    return this.commandAbort.signal;
  }

  /**
   * Output of the command being run. Every card holds text from outside (task text, requesters,
   * workers' output): this is the one door to the terminal, so nothing passes it that a
   * terminal would act on (escape sequences, BEL, CR). Fields are one line each (`oneLine`).
   */
  print(text: string): void {
    if (!this.broken) this.output.write(`${printable(text)}\n`);
  }

  /** Output that arrives on its own (progress, outbox): redraws the prompt if one is shown. */
  notify(text: string): void {
    if (!this.interactive || this.waiter === undefined || this.broken) {
      this.print(text);
      return;
    }
    clearLine(this.output, 0);
    cursorTo(this.output, 0);
    this.output.write(`${printable(text)}\n`);
    this.rl.prompt(true);
  }

  close(): void {
    this.rl.close();
  }

  private deliver(line: LineResult): void {
    const waiter = this.waiter;
    if (waiter === undefined) {
      if (typeof line === "string") this.queued.push(line);
      return;
    }
    this.waiter = undefined;
    waiter(line);
  }

  private end(): void {
    this.ended = true;
    this.deliver(undefined);
  }

  private interrupt(): void {
    if (this.waiter === undefined) {
      this.commandAbort.abort();
      this.commandAbort = new AbortController();
      return;
    }
    this.output.write("^C\n");
    if (this.rl.line !== "") {
      // Typed text is dropped, as in a shell; the prompt comes back empty.
      this.rl.write(null, { ctrl: true, name: "e" });
      this.rl.write(null, { ctrl: true, name: "u" });
      this.rl.prompt();
      return;
    }
    this.deliver(INTERRUPTED);
  }
}
