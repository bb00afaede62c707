import { parseEscalationId, parseTaskId } from "../../core/states.js";

/** One console line, parsed. Anything that is not a command is a request to file. */
export type Command =
  | { kind: "empty" }
  | { kind: "task"; text: string }
  | { kind: "guided_task" }
  | { kind: "status"; taskId?: number }
  | { kind: "review"; month?: string }
  | { kind: "retry"; taskId: number }
  | { kind: "reroute"; taskId: number; category: string }
  | { kind: "cancel"; taskId: number }
  | { kind: "edit"; taskId: number }
  | { kind: "answer"; taskId: number; text: string }
  /** `retry E-3` and the like: one decision for every task an escalation group waits on. */
  | { kind: "group"; escalationId: number; decision: GroupDecision }
  | { kind: "wait"; taskId?: number }
  | { kind: "help" }
  | { kind: "quit" }
  | { kind: "invalid"; message: string };

/** What an operator decides for a group; `edit` asks for the fields before it is sent. */
export type GroupDecision =
  | { action: "retry" }
  | { action: "cancel" }
  | { action: "edit" }
  | { action: "reroute"; category: string };

export const USAGE = {
  task: "/task [objective: … acceptance: …]",
  status: "/status [T-4]",
  review: "/review [YYYY-MM]",
  retry: "retry T-4",
  reroute: "reroute T-4 <category>",
  cancel: "cancel T-4",
  edit: "edit T-4",
  answer: "answer T-4 <text>",
  wait: "wait [T-4]",
} as const;

const GROUP_USAGE = {
  retry: "retry E-3",
  reroute: "reroute E-3 <category>",
  cancel: "cancel E-3",
  edit: "edit E-3",
} as const;

type GroupVerb = keyof typeof GROUP_USAGE;

const isGroupVerb = (name: string): name is GroupVerb => Object.hasOwn(GROUP_USAGE, name);

/** An id as people type it in a command: `T-4`, `t4` or `#4`; a bare number is weaker. */
const TYPED_ID = /^(?:t-?|#)\d+$/i;
/** An escalation group: `E-3`, `e3` or `E3`, always with its letter (a bare 3 is a task). */
const GROUP_ID = /^e-?\d+$/i;
const MONTH = /^\d{4}-(?:0[1-9]|1[0-2])$/;

interface Words {
  name: string;
  args: string[];
  /** The text after the first argument, spacing kept (for `answer`). */
  tail: string;
}

function split(text: string): Words {
  const [first = "", ...args] = text.split(/\s+/);
  const tail = /^\S+\s+\S+\s*([\s\S]*)$/.exec(text)?.[1] ?? "";
  return { name: first.toLowerCase(), args, tail };
}

export function parseCommand(line: string): Command {
  const text = line.trim();
  if (text === "") return { kind: "empty" };
  if (text.startsWith("/")) return parseSlash(text);
  return parseWord(text) ?? { kind: "task", text };
}

function invalid(usage: string): Command {
  return { kind: "invalid", message: `usage: ${usage}` };
}

/** A slash always means a command: wrong arguments are an error, never a task. */
function parseSlash(text: string): Command {
  const words = split(text.slice(1));
  const rest = text.slice(1 + words.name.length).trim();
  switch (words.name) {
    case "task":
      return rest === "" ? { kind: "guided_task" } : { kind: "task", text: rest };
    case "help":
      return { kind: "help" };
    case "quit":
    case "exit":
      return { kind: "quit" };
    default:
      if (takesArguments(words.name)) {
        return withArguments(words, false) ?? invalid(usageOf(words.name, words.args[0]));
      }
      return {
        kind: "invalid",
        message: `unknown command /${words.name}: type help for the list`,
      };
  }
}

/** Commands whose arguments are parsed by `withArguments`, typed as `/word` or bare `word`. */
const ARGUMENT_COMMANDS = [
  "status",
  "review",
  "retry",
  "reroute",
  "cancel",
  "edit",
  "answer",
  "wait",
] as const;

function takesArguments(name: string): name is (typeof ARGUMENT_COMMANDS)[number] {
  return (ARGUMENT_COMMANDS as readonly string[]).includes(name);
}

/**
 * A line that starts with a command word is a command only when its arguments fit, so that
 * "Cancel the subscriptions we no longer use" is still a request. Once a typed id (`T-4`)
 * follows the word the line is clearly a command, and wrong arguments are an error.
 */
function parseWord(text: string): Command | undefined {
  const words = split(text);
  switch (words.name) {
    case "help":
      return words.args.length === 0 ? { kind: "help" } : undefined;
    case "quit":
    case "exit":
      return words.args.length === 0 ? { kind: "quit" } : undefined;
    default: {
      if (!takesArguments(words.name)) return undefined;
      const parsed = withArguments(words, true);
      if (parsed !== undefined) return parsed;
      const first = words.args[0] ?? "";
      return TYPED_ID.test(first) || GROUP_ID.test(first)
        ? invalid(usageOf(words.name, first))
        : undefined;
    }
  }
}

/**
 * The command `words` names, if its arguments fit exactly (a bare-number id only passes that
 * way: "Cancel 2 subscriptions" has too many words to be `cancel T-2`). `strict` is word form.
 */
function withArguments(words: Words, strict: boolean): Command | undefined {
  const { args } = words;
  if (isGroupVerb(words.name) && GROUP_ID.test(args[0] ?? "")) {
    return groupCommand(words.name, args);
  }
  const id = taskIdOf(args[0]);
  switch (words.name) {
    case "status":
      if (args.length === 0) return { kind: "status" };
      return args.length === 1 && id !== undefined ? { kind: "status", taskId: id } : undefined;
    case "wait":
      if (args.length === 0) return { kind: "wait" };
      return args.length === 1 && id !== undefined ? { kind: "wait", taskId: id } : undefined;
    case "review": {
      // `review 2026-03` or, as on the command line, `review --month 2026-03`.
      const month = args[0] === "--month" ? args.slice(1) : args;
      if (args.length === 0) return { kind: "review" };
      return month.length === 1 && MONTH.test(month[0]!)
        ? { kind: "review", month: month[0] }
        : undefined;
    }
    case "retry":
    case "cancel":
    case "edit":
      return args.length === 1 && id !== undefined ? { kind: words.name, taskId: id } : undefined;
    case "reroute":
      return args.length === 2 && id !== undefined
        ? { kind: "reroute", taskId: id, category: args[1]!.toLowerCase() }
        : undefined;
    case "answer":
      // "Answer 3 emails from customers" is a request: answer needs a typed id in word form.
      if (strict && !TYPED_ID.test(args[0] ?? "")) return undefined;
      return args.length >= 2 && id !== undefined
        ? { kind: "answer", taskId: id, text: words.tail.trim() }
        : undefined;
    default:
      return undefined;
  }
}

/** `retry E-3`, `reroute E-3 research`, `cancel E-3`, `edit E-3`, if the arguments fit. */
function groupCommand(name: GroupVerb, args: readonly string[]): Command | undefined {
  const escalationId = parseEscalationId(args[0]!)!;
  if (name === "reroute") {
    return args.length === 2
      ? {
          kind: "group",
          escalationId,
          decision: { action: "reroute", category: args[1]!.toLowerCase() },
        }
      : undefined;
  }
  return args.length === 1
    ? { kind: "group", escalationId, decision: { action: name } }
    : undefined;
}

/** The usage line for what was typed: the group form once an `E-` id is there. */
function usageOf(name: keyof typeof USAGE, first = ""): string {
  return isGroupVerb(name) && GROUP_ID.test(first) ? GROUP_USAGE[name] : USAGE[name];
}

/** `T-4`, `t4`, `#4` or a bare `4`. */
function taskIdOf(token: string | undefined): number | undefined {
  return token !== undefined && /^(?:t-?|#)?\d+$/i.test(token) ? parseTaskId(token) : undefined;
}
