import { isStewardError } from "../../core/errors.js";
import { formatTaskId } from "../../core/states.js";
import type { Engine } from "../../engine/engine.js";
import { waitingCount } from "../../engine/status.js";
import type { OutboxPump } from "../outbox-pump.js";
import { parseCommand } from "./commands.js";
import { completer } from "./complete.js";
import { consoleDelivery } from "./deliver.js";
import { finishDeliveries } from "./deliveries.js";
import { consoleView, duration, oneLine, rerouteTargets } from "./format.js";
import { terminalAsk } from "./guided.js";
import { type Outcome, runCommand, type Session, settleDeps } from "./handlers.js";
import { Progress } from "./progress.js";
import { SETTLE_TIMEOUT_MS, settle } from "./settle.js";
import { waitingNotice } from "./status-view.js";
import { INTERRUPTED, Terminal } from "./terminal.js";

export interface ConsoleIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Requester and actor of what is typed; default `$USER`, else `owner`. */
  user?: string;
  /** The pump that writes outputs to files and webhooks: the session waits for it as it ends. */
  outputs?: Pick<OutboxPump, "drain">;
  /** Where the log goes while the console owns the terminal; said once at the start. */
  logFile?: string;
  /** Where a terminal session's lines are kept across runs. */
  historyFile?: string;
}

/**
 * The local console: a REPL over the engine, in the spirit of Hubot's shell adapter. Resolves
 * when the session ends: `quit`, Ctrl-D, or the end of piped input once the work has settled.
 */
export async function runConsole(engine: Engine, io: ConsoleIo): Promise<void> {
  const view = consoleView(engine.config);
  const queries = engine.status;
  const terminal = new Terminal(io.input, io.output, {
    historyFile: io.historyFile,
    completer: completer({
      taskIds: () => queries.openTaskIds(),
      categories: rerouteTargets(view),
    }),
  });
  const progress = new Progress(
    (line) => terminal.notify(line),
    () => engine.clock.now(),
  );
  const session: Session = {
    engine,
    queries,
    user: io.user ?? process.env.USER ?? "owner",
    view,
    progress,
    print: (text) => terminal.print(text),
    ask: terminalAsk(terminal),
    signal: () => terminal.commandSignal,
  };
  const pump = consoleDelivery(engine, view, (text) => terminal.notify(text));
  const flush = async () => {
    try {
      // A pass already under way may have read the outbox before the last command wrote to it.
      await pump.drain();
      await pump.drain();
    } catch (error) {
      // The outbox itself failed (not one message): say so in the log, keep the session.
      engine.logger.error(`console: outbox delivery failed: ${(error as Error).message}`);
    }
  };
  const unsubscribe = engine.onTaskChange(progress.listener);
  if (terminal.interactive) {
    terminal.print("Steward console: type help for the commands.");
    if (io.logFile !== undefined) terminal.print(`Logs go to ${io.logFile}`);
  }
  const waiting = waitingNotice(waitingCount(await engine.status.snapshot()));
  if (waiting !== undefined) terminal.print(waiting);
  pump.start();
  try {
    await repl(terminal, session, flush);
  } finally {
    unsubscribe();
    const undelivered =
      io.outputs === undefined ? [] : await finishDeliveries(io.outputs, engine.outbox);
    await flush();
    for (const line of undelivered) terminal.print(line);
    await pump.stop();
    terminal.close();
  }
}

async function repl(terminal: Terminal, session: Session, flush: () => Promise<void>) {
  let interrupted = false;
  for (;;) {
    const line = await terminal.next();
    if (line === undefined) return endOfInput(terminal, session, flush);
    if (line === INTERRUPTED) {
      if (interrupted) return;
      interrupted = true;
      terminal.print("(press Ctrl-C again, Ctrl-D or type quit to leave)");
      continue;
    }
    interrupted = false;
    if ((await runLine(line, session)) === "quit") return;
    await flush();
  }
}

/** A bad line prints a message and the REPL goes on; only the unexpected is logged. */
async function runLine(line: string, session: Session): Promise<Outcome> {
  try {
    return await runCommand(parseCommand(line), session);
  } catch (error) {
    if (isStewardError(error)) {
      session.print(`! ${error.message}`);
    } else {
      const message = error instanceof Error ? error.message : String(error);
      session.print(`! something went wrong: ${oneLine(message, 120)} (details in the log)`);
      session.engine.logger.error(`console: "${oneLine(line, 80)}" failed`, {
        error: error instanceof Error ? (error.stack ?? message) : message,
      });
    }
    return "continue";
  }
}

/**
 * Piped input has ended: let the work it started finish (bounded), show what it produced,
 * then end. On a terminal, Ctrl-D means leave now; unfinished work resumes on the next start.
 */
async function endOfInput(terminal: Terminal, session: Session, flush: () => Promise<void>) {
  const deps = settleDeps(session);
  const still = terminal.interactive
    ? await deps.moving(deps.now())
    : await settle(deps, { timeoutMs: SETTLE_TIMEOUT_MS });
  await flush();
  if (still.length === 0) return;
  const ids = still.map(formatTaskId).join(", ");
  const waited = terminal.interactive ? "" : ` after ${duration(SETTLE_TIMEOUT_MS)}`;
  terminal.print(`(still moving${waited}: ${ids}; they resume when Steward starts again)`);
}
