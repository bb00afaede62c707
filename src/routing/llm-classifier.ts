import { z } from "zod";
import type { CategoryConfig } from "../config/schema.js";
import { coerceError } from "../core/errors.js";
import { jsonObjectIn } from "../core/json.js";
import { type JsonModel, questionSignal, type TokenUsage } from "../core/model.js";
import type { RoutingTrace } from "../core/task.js";
import type { RouteRequest, Router } from "./classify.js";

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
  model: JsonModel,
  request: RouteRequest,
  options: { timeoutMs: number; stop?: AbortSignal },
): Promise<{ routing: RoutingTrace; usage?: TokenUsage }> {
  const rules = router.route(request);
  if (rules.rule === "explicit" || rules.rule.endsWith(".sources")) return { routing: rules };
  const names = router.categories.map((category) => category.name);
  const { signal } = questionSignal(options.timeoutMs, options.stop);
  try {
    const completion = await model.ask({
      system: systemPrompt(router.categories),
      user: request.text,
      signal,
    });
    const usage = completion.usage === undefined ? {} : { usage: completion.usage };
    const parsed = answerSchema(names).safeParse(jsonObjectIn(completion.content));
    if (!parsed.success) {
      const fallback = `llm answer was not a category name (${completion.content.slice(0, 120)}); used the rules`;
      return { routing: { ...rules, fallback }, ...usage };
    }
    const { category, reason } = parsed.data;
    const routing: RoutingTrace = {
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
    return { routing, ...usage };
  } catch (error) {
    return {
      routing: {
        ...rules,
        fallback: `llm classifier failed (${coerceError(error).message}); used the rules`,
      },
    };
  }
}
