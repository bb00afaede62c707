import { type ConsoleView, rerouteTargets } from "./format.js";

export function helpText(view: ConsoleView): string {
  const rows: [string, string][] = [
    ["<any text>", "file a task, as a message in the intake channel would"],
    ["/task objective: … acceptance: …", "file a task with labelled fields"],
    ["/task", "file a task field by field (guided)"],
    ["/status", "counts by state and category, tasks in flight, paused workers, outbox"],
    ["/status T-4", "one task: brief, routing, attempts, timeline, output"],
    ["/review [YYYY-MM]", "the monthly review and its chart (default: the last full month)"],
    ["answer T-4 <text>", "answer a clarification in one line"],
    ["edit T-4", "fill in or change a waiting task's brief, field by field"],
    ["retry T-4", "run an escalated task again with fresh attempts"],
    ["reroute T-4 <category>", "send a task to another category and queue it"],
    ["cancel T-4", "cancel a task that is not finished"],
    ["retry E-3", "retry every task escalation group E-3 waits on (also e3, E3)"],
    ["reroute E-3 <category>", "reroute every task of the group and queue them"],
    ["edit E-3", "fill in the briefs of the group's tasks, field by field, once for all"],
    ["cancel E-3", "cancel every task of the group"],
    ["wait [T-4]", "block until that task (or every task) has settled"],
    ["help", "this list"],
    ["quit, exit", "leave the console (Ctrl-D too)"],
  ];
  const width = Math.max(...rows.map(([usage]) => usage.length)) + 2;
  return [
    "Commands",
    ...rows.map(([usage, what]) => `  ${usage.padEnd(width)}${what}`),
    `Categories: ${rerouteTargets(view).join(", ")}`,
  ].join("\n");
}
