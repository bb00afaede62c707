/**
 * Demo worker: no network, no keys. Writes a plausible, clearly marked draft from the brief so a
 * fresh install shows the whole pipeline working. Deterministic: the same brief, the same draft.
 */
import type { Brief } from "../../core/brief.js";
import type { DemoWorkerConfig, WorkerRunner } from "../runner.js";
import { abortableDelay } from "./common.js";

export const DEMO_MARKER = "[demo output — configure a real worker in config/steward.yaml]";

type DemoFormat = "json" | "markdown" | "text";

export function createDemoRunner(_name: string, config: DemoWorkerConfig): WorkerRunner {
  return async (task, ctx) => {
    await abortableDelay(config.delay, ctx.signal);
    return { output: demoDraft(task.brief), meta: { demo: true, tokens: 0, costUsd: 0 } };
  };
}

export function demoDraft(brief: Brief): string {
  switch (demoFormat(brief.output_format)) {
    case "json":
      return jsonDraft(brief);
    case "markdown":
      return markdownDraft(brief);
    case "text":
      return textDraft(brief);
  }
}

function demoFormat(outputFormat: string): DemoFormat {
  if (/\bjson\b/i.test(outputFormat)) return "json";
  if (/\b(markdown|md)\b/i.test(outputFormat)) return "markdown";
  return "text";
}

function objectiveOf(brief: Brief): string {
  return brief.objective.trim() || "(no objective given)";
}

function draftParagraph(brief: Brief): string {
  const format = brief.output_format.trim() || "a short draft";
  const inputs = brief.inputs.length;
  const constraints = brief.constraints.length;
  return (
    `Here is a first pass at "${objectiveOf(brief)}", written as ${format}. ` +
    `It works from ${count(inputs, "input")} and keeps to ${count(constraints, "constraint")}. ` +
    "A real worker would put the finished deliverable here."
  );
}

function howMet(criterion: string): string {
  return `the draft is shaped to satisfy "${criterion}"; a real worker would verify it`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function bullets(items: readonly string[], empty: string): string {
  return items.length === 0 ? `- ${empty}` : items.map((item) => `- ${item}`).join("\n");
}

function markdownDraft(brief: Brief): string {
  const criteria = brief.acceptance_criteria.map((c) => `- [x] ${c} — ${howMet(c)}`);
  return [
    DEMO_MARKER,
    `# ${firstLine(objectiveOf(brief))}`,
    draftParagraph(brief),
    `## Inputs used\n\n${bullets(brief.inputs, "none given")}`,
    `## Constraints respected\n\n${bullets(brief.constraints, "none given")}`,
    `## Acceptance criteria\n\n${criteria.join("\n") || "- none given"}`,
  ].join("\n\n");
}

function textDraft(brief: Brief): string {
  const criteria = brief.acceptance_criteria.map((c, i) => `${i + 1}. ${c}: ${howMet(c)}`);
  return [
    DEMO_MARKER,
    `Objective: ${objectiveOf(brief)}`,
    draftParagraph(brief),
    `Inputs used:\n${bullets(brief.inputs, "none given")}`,
    `Constraints respected:\n${bullets(brief.constraints, "none given")}`,
    `How each acceptance criterion is met:\n${criteria.join("\n") || "- none given"}`,
  ].join("\n\n");
}

/** Valid JSON, so a `json` review check passes; the marker travels as the `notice` field. */
function jsonDraft(brief: Brief): string {
  const draft = {
    notice: DEMO_MARKER,
    objective: objectiveOf(brief),
    draft: draftParagraph(brief),
    inputs_used: brief.inputs,
    constraints_respected: brief.constraints,
    acceptance_criteria: brief.acceptance_criteria.map((criterion) => ({
      criterion,
      how_met: howMet(criterion),
    })),
  };
  return JSON.stringify(draft, null, 2);
}

function firstLine(text: string): string {
  const line = text.split("\n")[0] ?? text;
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}
