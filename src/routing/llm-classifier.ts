import { z } from "zod";
import type { CategoryConfig, WorkerConfig } from "../config/schema.js";
import { coerceError } from "../core/errors.js";
import type { RoutingTrace } from "../core/task.js";
import { chatCompletion } from "../workers/kinds/llm.js";
import type { RouteRequest, Router } from "./classify.js";

type LlmWorker = Extract<WorkerConfig, { kind: "llm" }>;

/** The only answer accepted from the model: one of the category names, with a reason. */
function answerSchema(names: readonly string[]) {
  return z.object({
    category: z.enum(names as [string, ...string[]]),
    reason: z.string().min(1).max(500),
  });
}

function systemPrompt(categories: readonly CategoryConfig[]): string {
  const lines = categories.map((category) => {
    const examples = category.examples.map((example) => `    - ${example}`).join("\n");
    return `- ${category.name}: ${category.description}\n  examples:\n${examples}`;
  });
  return [
    "You route work requests for a small business to exactly one category.",
    "Categories:",
    ...lines,
    'Answer with JSON only: {"category": "<one of the names above>", "reason": "<one sentence>"}.',
    "If nothing fits, answer the catch-all category.",
  ].join("\n");
}

/**
 * Asks an OpenAI-compatible model which category a request belongs to. The answer must be one
 * of the category names; anything else — or an unreachable endpoint — falls back to the rules,
 * and the trace says so. An explicit category or a source rule never asks the model. `stop`
 * cuts the wait short the same way (Steward stopping).
 */
export async function classifyWithLlm(
  router: Router,
  worker: LlmWorker,
  request: RouteRequest,
  stop?: AbortSignal,
): Promise<RoutingTrace> {
  const rules = router.route(request);
  if (rules.rule === "explicit" || rules.rule.endsWith(".sources")) return rules;
  const names = router.categories.map((category) => category.name);
  const timeout = AbortSignal.timeout(Math.min(worker.timeout, 30_000));
  const signal = stop === undefined ? timeout : AbortSignal.any([timeout, stop]);
  try {
    const completion = await chatCompletion({
      baseUrl: worker.base_url,
      apiKey: worker.api_key,
      model: worker.model,
      temperature: 0,
      responseFormatJson: true,
      label: "llm classifier",
      signal,
      messages: [
        { role: "system", content: systemPrompt(router.categories) },
        { role: "user", content: request.text },
      ],
    });
    const parsed = answerSchema(names).safeParse(parseJson(completion.content));
    if (!parsed.success) {
      return {
        ...rules,
        fallback: `llm answer was not a category name (${completion.content.slice(0, 120)}); used the rules`,
      };
    }
    const { category, reason } = parsed.data;
    return {
      category,
      classifier: "llm",
      rule: category === rules.category ? `llm (agrees with ${rules.rule})` : "llm",
      score: 1,
      matched: [],
      runner_up:
        rules.category === category
          ? rules.runner_up
          : { category: rules.category, score: rules.score },
      explanation: `the llm classifier chose ${category}: ${reason}`,
    };
  } catch (error) {
    return {
      ...rules,
      fallback: `llm classifier failed (${coerceError(error).message}); used the rules`,
    };
  }
}

function parseJson(text: string): unknown {
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start === -1 || end <= start) return undefined;
  try {
    return JSON.parse(text.slice(start, end + 1));
  } catch {
    return undefined;
  }
}
