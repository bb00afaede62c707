/**
 * LLM worker: one chat completion against an OpenAI-compatible API (OpenAI, OpenRouter, Ollama,
 * vLLM, …). The brief becomes the system prompt; the reply is the output. HTTP statuses and
 * connection failures are classified exactly as for the http kind (`postJson`).
 */
import { z } from "zod";
import { BRIEF_FIELD_LABELS, type Brief } from "../../core/brief.js";
import { TransientError } from "../../core/failures.js";
import type { JsonModel, TokenUsage } from "../../core/model.js";
import type { LlmWorkerConfig, WorkerRunner } from "../runner.js";
import { postJson } from "./http.js";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface ChatCompletionOptions {
  /** e.g. `https://api.openai.com/v1`; a trailing slash is ignored. */
  baseUrl: string;
  /** Sent as a bearer token; empty or absent for servers that need none (a local Ollama). */
  apiKey?: string;
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  signal: AbortSignal;
  /** Asks for `response_format: { type: "json_object" }`. */
  responseFormatJson?: boolean;
  /** Names the caller in error messages; defaults to `llm`. */
  label?: string;
}

export interface ChatCompletion {
  content: string;
  tokens?: number;
  /** Prompt and completion tokens, when the endpoint reports both. */
  usage?: TokenUsage;
}

const completionSchema = z.object({
  choices: z
    .array(z.object({ message: z.object({ content: z.string() }) }))
    .min(1, "expected at least one choice"),
  usage: z
    .object({
      total_tokens: z.number().nonnegative().optional(),
      prompt_tokens: z.number().nonnegative().optional(),
      completion_tokens: z.number().nonnegative().optional(),
    })
    .nullish(),
});

export async function chatCompletion(options: ChatCompletionOptions): Promise<ChatCompletion> {
  const label = options.label ?? "llm";
  const headers = new Headers();
  if (options.apiKey) headers.set("authorization", `Bearer ${options.apiKey}`);
  const text = await postJson({
    label,
    url: `${options.baseUrl.replace(/\/+$/, "")}/chat/completions`,
    body: {
      model: options.model,
      messages: options.messages,
      temperature: options.temperature,
      max_tokens: options.maxTokens,
      response_format: options.responseFormatJson ? { type: "json_object" } : undefined,
    },
    headers,
    signal: options.signal,
  });
  return parseCompletion(label, text);
}

/** A body that is not the standard shape is treated as a hiccup of the provider: transient. */
function parseCompletion(label: string, text: string): ChatCompletion {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TransientError(`${label}: malformed chat completion response (not JSON)`);
  }
  const result = completionSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
    throw new TransientError(
      `${label}: malformed chat completion response (${where}${issue?.message ?? "invalid"})`,
    );
  }
  const content = result.data.choices[0]?.message.content ?? "";
  const usage = result.data.usage;
  const tokens = usage?.total_tokens;
  const split =
    usage?.prompt_tokens === undefined || usage.completion_tokens === undefined
      ? undefined
      : { prompt: usage.prompt_tokens, completion: usage.completion_tokens };
  return {
    content,
    ...(tokens === undefined ? {} : { tokens }),
    ...(split === undefined ? {} : { usage: split }),
  };
}

/** An llm worker as the domain's model port: JSON answers at temperature 0. */
export function jsonModel(config: LlmWorkerConfig, label: string): JsonModel {
  return {
    async ask({ system, user, signal }) {
      const completion = await chatCompletion({
        label,
        baseUrl: config.base_url,
        apiKey: config.api_key,
        model: config.model,
        temperature: 0,
        responseFormatJson: true,
        signal,
        messages: [
          { role: "system", content: system },
          { role: "user", content: user },
        ],
      });
      return completion.usage === undefined
        ? { content: completion.content }
        : { content: completion.content, usage: completion.usage };
    },
  };
}

/** The worker's own prompt, then the brief, so the model sees every field it is judged on. */
export function buildSystemPrompt(prompt: string, brief: Brief): string {
  const section = [
    "## The task",
    `${BRIEF_FIELD_LABELS.objective}: ${brief.objective}`,
    list(BRIEF_FIELD_LABELS.inputs, brief.inputs),
    list(BRIEF_FIELD_LABELS.constraints, brief.constraints),
    `${BRIEF_FIELD_LABELS.output_format}: ${brief.output_format || "(not specified)"}`,
    list(BRIEF_FIELD_LABELS.acceptance_criteria, brief.acceptance_criteria),
    "Reply with the deliverable only, in the output format, meeting every acceptance criterion.",
  ].join("\n\n");
  return prompt.trim() === "" ? section : `${prompt.trim()}\n\n${section}`;
}

function list(label: string, items: readonly string[]): string {
  if (items.length === 0) return `${label}: (none)`;
  return `${label}:\n${items.map((item) => `- ${item}`).join("\n")}`;
}

export function briefMessages(prompt: string, brief: Brief): ChatMessage[] {
  return [
    { role: "system", content: buildSystemPrompt(prompt, brief) },
    { role: "user", content: brief.objective },
  ];
}

export function createLlmRunner(name: string, config: LlmWorkerConfig): WorkerRunner {
  const label = `llm worker "${name}"`;
  return async (task, ctx) => {
    const { content, tokens } = await chatCompletion({
      label,
      baseUrl: config.base_url,
      apiKey: config.api_key,
      model: config.model,
      messages: briefMessages(config.prompt, task.brief),
      temperature: config.temperature,
      maxTokens: config.max_tokens,
      signal: ctx.signal,
    });
    return {
      output: content,
      meta: { model: config.model, ...(tokens === undefined ? {} : { tokens }) },
    };
  };
}
