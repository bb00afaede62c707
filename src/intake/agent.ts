/**
 * The optional LLM intake agent: a model reads a free-text request into the five brief fields,
 * says which it inferred rather than read and which it cannot determine, and may name the
 * category. Asking it is the only thing here that waits; merging its reading into the brief
 * and the routing (`fillFromAgent`, `routedByAgent`) is pure and done by `planFiling`.
 * Anything off — unreachable, slow, not JSON, off-schema, a category that does not exist — is
 * a failed reading, and intake uses the rules, saying why.
 */
import { z } from "zod";
import type { CategoryConfig } from "../config/schema.js";
import {
  BRIEF_FIELDS,
  type Brief,
  type BriefField,
  type FilledFields,
  isFieldEmpty,
} from "../core/brief.js";
import { coerceError } from "../core/errors.js";
import { jsonObjectIn } from "../core/json.js";
import { type JsonModel, questionSignal, type TokenUsage } from "../core/model.js";
import type { RoutingTrace } from "../core/task.js";
import { normaliseFields } from "./parse.js";

/** What the agent made of a request, or why it made nothing. */
export type AgentReading =
  | {
      answered: true;
      brief: Brief;
      inferred: BriefField[];
      unknown: BriefField[];
      category?: { name: string; reason: string };
      usage?: TokenUsage;
    }
  | { answered: false; failure: string; usage?: TokenUsage };

export const AGENT_RULE = "intake agent";
export const AGENT_SOURCE = "the intake agent";
export const AGENT_INFERRED_SOURCE = "the intake agent (inferred)";

/** Learned examples shown to the model, most recent first, and the length of each. */
export const MAX_AGENT_EXAMPLES = 8;
const EXAMPLE_CHARS = 300;
/** The request's text sent: the brief's own field limit. */
const REQUEST_CHARS = 8000;

// Well inside the brief's field limit (8,000 characters), so an answer to a later question
// about the brief is never refused for what the agent wrote.
const text = z.string().max(2000);
const items = z.array(z.string().max(300)).max(20);
const fieldName = z.enum(BRIEF_FIELDS);

/** The only answer accepted: every field, what was inferred or is unknown, maybe a category. */
const answerSchema = z
  .object({
    objective: text,
    inputs: items,
    constraints: items,
    output_format: text,
    acceptance_criteria: items,
    inferred: z.array(fieldName).default([]),
    unknown: z.array(fieldName).default([]),
    // Empty or null: the model was unsure, as the prompt allows.
    category: z.string().nullish(),
    reason: z.string().max(500).nullish(),
  })
  .refine((answer) => !answer.category || (answer.reason ?? "").trim() !== "", {
    message: "a category needs a reason",
    path: ["reason"],
  });

export interface AgentQuestion {
  text: string;
  categories: readonly CategoryConfig[];
  /** People's earlier routing decisions, most recent first (few-shot context). */
  examples: readonly { text: string; category: string }[];
}

/** The system message: the fields, the categories (with what their defaults fill), the examples. */
export function agentPrompt(question: Omit<AgentQuestion, "text">): string {
  const categories = question.categories.map((category) => {
    const defaults = [
      category.defaults.output_format && `output format "${category.defaults.output_format}"`,
      category.defaults.acceptance_criteria &&
        `criteria ${JSON.stringify(category.defaults.acceptance_criteria)}`,
    ].filter(Boolean);
    const filled = defaults.length > 0 ? ` (defaults: ${defaults.join("; ")})` : "";
    return `- ${category.name}${category.catch_all ? " [fits nothing else]" : ""}: ${category.description}${filled}`;
  });
  const examples = question.examples
    .slice(0, MAX_AGENT_EXAMPLES)
    .map(
      (example) =>
        `- ${JSON.stringify(example.text.slice(0, EXAMPLE_CHARS))} → ${example.category}`,
    );
  return [
    "You turn a work request for a one-person business into a brief. Read the request and answer with JSON only:",
    '{"objective": "", "inputs": [], "constraints": [], "output_format": "", "acceptance_criteria": [],',
    ' "inferred": [], "unknown": [], "category": "", "reason": ""}',
    "objective: what is to be done, in one sentence. inputs: material named (links, files, quoted text, names).",
    "constraints: limits on how. output_format: the form of the result. acceptance_criteria: checkable conditions for done.",
    "Leave a field empty when the request does not say and you cannot infer it with confidence; list in",
    '"inferred" the fields you filled by inference rather than read; list in "unknown" only the fields the',
    "requester must still supply (the category's defaults fill output format and criteria when you leave them empty).",
    'category: exactly one of the names below, with a one-sentence "reason"; leave both empty when unsure.',
    "Categories:",
    ...categories,
    ...(examples.length > 0 ? ["Earlier requests and where people put them:", ...examples] : []),
  ].join("\n");
}

/**
 * Asks the model. Never throws: a failure is a reading that says why. `stop` cuts the wait
 * short (Steward stopping), as the timeout does.
 */
export async function askIntakeAgent(
  model: JsonModel,
  question: AgentQuestion,
  options: { timeoutMs: number; stop?: AbortSignal },
): Promise<AgentReading> {
  const { signal, timedOut } = questionSignal(options.timeoutMs, options.stop);
  let answer: Awaited<ReturnType<JsonModel["ask"]>>;
  try {
    answer = await model.ask({
      system: agentPrompt(question),
      user: question.text.slice(0, REQUEST_CHARS),
      signal,
    });
  } catch (error) {
    const reason = timedOut() ? "no answer in time" : coerceError(error).message;
    return { answered: false, failure: reason };
  }
  return { ...readAnswer(answer.content, question.categories), ...usageOf(answer.usage) };
}

function readAnswer(content: string, categories: readonly CategoryConfig[]): AgentReading {
  const quoted = content.slice(0, 120);
  const json = jsonObjectIn(content);
  if (json === undefined) return { answered: false, failure: `the answer was not JSON: ${quoted}` };
  const parsed = answerSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
    return {
      answered: false,
      failure: `the answer did not match the schema (${where}${issue?.message ?? "invalid"})`,
    };
  }
  const { inferred, unknown, category, reason, ...brief } = parsed.data;
  const names = categories.map((candidate) => candidate.name);
  if (category && !names.includes(category)) {
    return { answered: false, failure: `it named a category that does not exist: ${category}` };
  }
  return {
    answered: true,
    // Trimmed, empty items dropped: read as structured fields are.
    brief: normaliseFields(brief),
    inferred,
    unknown,
    ...(category ? { category: { name: category, reason: (reason ?? "").trim() } } : {}),
  };
}

function usageOf(usage: TokenUsage | undefined): { usage?: TokenUsage } {
  return usage === undefined ? {} : { usage };
}

/**
 * The agent fills the fields the requester left empty (what the requester wrote always wins)
 * and names its source; the fields it calls unknown are returned to stay empty, for the
 * requester to answer, whatever the rules would have put there.
 */
export function fillFromAgent(
  parsed: Brief,
  reading: AgentReading | undefined,
): { brief: Brief; filled: FilledFields; unknown: BriefField[] } {
  if (reading === undefined || !reading.answered) return { brief: parsed, filled: {}, unknown: [] };
  const brief = { ...parsed };
  const filled: FilledFields = {};
  const unknown = reading.unknown.filter((field) => isFieldEmpty(parsed, field));
  for (const field of BRIEF_FIELDS) {
    if (!isFieldEmpty(parsed, field) || unknown.includes(field)) continue;
    if (isFieldEmpty(reading.brief, field)) continue;
    if (field === "objective" || field === "output_format") brief[field] = reading.brief[field];
    else brief[field] = [...reading.brief[field]];
    filled[field] = reading.inferred.includes(field) ? AGENT_INFERRED_SOURCE : AGENT_SOURCE;
  }
  return { brief, filled, unknown };
}

/** The rules' routing, or the agent's when it named a category and no explicit rule decided. */
export function routedByAgent(
  rules: RoutingTrace,
  reading: AgentReading | undefined,
): RoutingTrace {
  if (reading === undefined) return rules;
  if (!reading.answered) {
    if (rules.classifier === "llm") return rules;
    const why = `intake agent failed (${reading.failure}); used the rules`;
    return { ...rules, fallback: rules.fallback ? `${why}; ${rules.fallback}` : why };
  }
  if (reading.category === undefined || decidedExplicitly(rules)) return rules;
  const { name, reason } = reading.category;
  return {
    category: name,
    classifier: "llm",
    rule: AGENT_RULE,
    score: 1,
    matched: [],
    runner_up:
      rules.category === name ? rules.runner_up : { category: rules.category, score: rules.score },
    explanation: `the intake agent chose ${name}: ${reason}`,
  };
}

/** A category the requester named, or a source, regex or keyword rule: never second-guessed. */
function decidedExplicitly(rules: RoutingTrace): boolean {
  return rules.rule === "explicit" || /\.(sources|regexes\[\d+\]|keywords)$/.test(rules.rule);
}
