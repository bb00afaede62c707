import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isConnectionFailure } from "../../../src/core/connection-failure.js";
import { InputError, TransientError } from "../../../src/core/failures.js";
import { chatCompletion } from "../../../src/workers/kinds/llm.js";
import {
  makeContext,
  makeTask,
  rejectionOf,
  reply,
  runnerFor,
  sampleBrief,
  TestServer,
} from "./helpers.js";

interface ChatRequest {
  model: string;
  messages: { role: string; content: string }[];
  temperature?: number;
  max_tokens?: number;
  response_format?: { type: string };
}

const server = new TestServer();
let baseUrl: string;

/** The standard OpenAI chat completion shape. */
function completion(content: string, totalTokens = 57): string {
  return JSON.stringify({
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1_700_000_000,
    model: "test-model",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 40, completion_tokens: 17, total_tokens: totalTokens },
  });
}

function lastRequest(): ChatRequest {
  return JSON.parse(server.requests.at(-1)?.body ?? "{}") as ChatRequest;
}

beforeAll(async () => {
  baseUrl = `${await server.start()}/v1/`;
});
afterAll(() => server.stop());
beforeEach(() => {
  server.requests.length = 0;
  server.handler = (request, response) => {
    if (request.method !== "POST" || request.url !== "/v1/chat/completions") {
      reply(response, 404, "not found");
      return;
    }
    reply(response, 200, completion("Dear customer, we are sorry."), {
      "content-type": "application/json",
    });
  };
});

const runner = (extra: Record<string, unknown> = {}) =>
  runnerFor({
    kind: "llm",
    base_url: baseUrl,
    model: "test-model",
    api_key: "sk-test",
    prompt: "You are the support writer for Acme.",
    temperature: 0.2,
    max_tokens: 400,
    ...extra,
  });

describe("llm worker", () => {
  it("returns the completion as output and the tokens as meta", async () => {
    const result = await runner()(makeTask(), makeContext());
    expect(result.output).toBe("Dear customer, we are sorry.");
    expect(result.meta?.tokens).toBe(57);

    const request = lastRequest();
    expect(request.model).toBe("test-model");
    expect(request.temperature).toBe(0.2);
    expect(request.max_tokens).toBe(400);
    expect(request.response_format).toBeUndefined();
    expect(server.requests[0]?.headers.authorization).toBe("Bearer sk-test");
  });

  it("puts the prompt and all five brief fields in the system prompt", async () => {
    await runner()(makeTask(), makeContext());
    const [system, user] = lastRequest().messages;

    expect(system?.role).toBe("system");
    expect(system?.content.startsWith("You are the support writer for Acme.")).toBe(true);
    const fields = [
      sampleBrief.objective,
      ...sampleBrief.inputs,
      ...sampleBrief.constraints,
      sampleBrief.output_format,
      ...sampleBrief.acceptance_criteria,
    ];
    for (const field of fields) expect(system?.content).toContain(field);
    for (const label of ["Objective", "Inputs", "Constraints", "Output format", "Acceptance"]) {
      expect(system?.content).toContain(label);
    }
    expect(user).toEqual({ role: "user", content: sampleBrief.objective });
  });

  it("sends no Authorization header when the api key is empty", async () => {
    await runner({ api_key: "" })(makeTask(), makeContext());
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });

  it("treats a malformed body as transient", async () => {
    for (const body of [
      "not json",
      JSON.stringify({ choices: [] }),
      '{"choices":[{"message":{}}]}',
    ]) {
      server.handler = (_request, response) => reply(response, 200, body);
      const error = await rejectionOf(runner()(makeTask(), makeContext()));
      expect(error).toBeInstanceOf(TransientError);
      expect((error as Error).message).toContain("malformed chat completion response");
    }
  });

  it("treats 500 as transient", async () => {
    server.handler = (_request, response) =>
      reply(response, 500, JSON.stringify({ error: { message: "overloaded" } }));
    const error = await rejectionOf(runner()(makeTask(), makeContext()));
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toContain("overloaded");
  });

  it("treats 400 (e.g. context too long) as input", async () => {
    server.handler = (_request, response) => reply(response, 400, "context_length_exceeded");
    expect(await rejectionOf(runner()(makeTask(), makeContext()))).toBeInstanceOf(InputError);
  });

  it("maps connection failures like the http kind", async () => {
    const run = runnerFor({ kind: "llm", base_url: "http://127.0.0.1:1/v1", model: "m" });
    const error = await rejectionOf(run(makeTask(), makeContext()));
    expect(error).toBeInstanceOf(TransientError);
    expect(isConnectionFailure(error)).toBe(true);
  });

  it("chatCompletion can ask for JSON and works without usage", async () => {
    server.handler = (_request, response) =>
      reply(response, 200, JSON.stringify({ choices: [{ message: { content: '{"a":1}' } }] }));
    const result = await chatCompletion({
      baseUrl: baseUrl.replace(/\/$/, ""),
      model: "test-model",
      messages: [{ role: "user", content: "classify" }],
      temperature: 0,
      maxTokens: 50,
      signal: new AbortController().signal,
      responseFormatJson: true,
    });
    expect(result).toEqual({ content: '{"a":1}' });
    expect(lastRequest().response_format).toEqual({ type: "json_object" });
  });
});
