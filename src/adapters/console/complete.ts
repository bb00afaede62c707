/** readline's completion for a line: the candidates and the word they replace. */
export type Completer = (line: string) => Promise<[string[], string]>;

/** What the console's Tab completes from: the command words, open task ids, categories. */
export interface CompletionSource {
  /** Open task ids, read when Tab is pressed (a fresh list, not the one at start-up). */
  taskIds(): Promise<number[]> | number[];
  categories: readonly string[];
}

const COMMANDS = [
  "/task",
  "/status",
  "/review",
  "answer",
  "edit",
  "retry",
  "reroute",
  "cancel",
  "wait",
  "help",
  "quit",
  "exit",
];
/** Commands whose first argument is a task id. */
const TAKES_TASK = new Set(["/status", "answer", "edit", "retry", "reroute", "cancel", "wait"]);

/**
 * readline's completer: the first word from the commands, a task id after a command that
 * takes one (`T-`, `t4`, `4` all complete to `T-4…`), a category after `reroute T-4`.
 */
export function completer(source: CompletionSource): Completer {
  return async (line) => {
    const words = line.split(/\s+/);
    const word = words.at(-1) ?? "";
    const command = words[0]?.toLowerCase() ?? "";
    if (words.length === 1) return [COMMANDS.filter((name) => name.startsWith(word)), word];
    if (words.length === 2 && TAKES_TASK.has(command) && /^(t-?)?\d*$/i.test(word)) {
      const digits = word.replace(/^t-?/i, "");
      const ids = (await source.taskIds()).filter((id) => String(id).startsWith(digits));
      return [ids.map((id) => `T-${id}`), word];
    }
    if (words.length === 3 && command === "reroute") {
      return [source.categories.filter((name) => name.startsWith(word)), word];
    }
    return [[], word];
  };
}
