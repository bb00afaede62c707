/**
 * A scripted OpenAI-compatible chat endpoint on 127.0.0.1, for the LLM classifier and the
 * intake agent: it answers each question with the content given (or made from the question's
 * system message), after `delayMs` if given, reports the usage given, and keeps what it was asked.
 */
import { afterEach } from "vitest";
import { reply, TestServer } from "./workers/helpers.js";

export interface ScriptedAnswer {
  delayMs?: number;
  usage?: { prompt_tokens: number; completion_tokens: number };
}

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

/** A started model answering `content`; its base URL ends in `/v1`, as Ollama's does. */
export async function scriptedModel(
  content: string | ((system: string) => string),
  answer: ScriptedAnswer = {},
) {
  const server = new TestServer();
  servers.push(server);
  const usage = answer.usage ?? { prompt_tokens: 30, completion_tokens: 12 };
  server.handler = (request, response) => {
    const system: string = JSON.parse(request.body).messages[0].content;
    const body = JSON.stringify({
      choices: [{ message: { content: typeof content === "string" ? content : content(system) } }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    });
    const send = () => reply(response, 200, body, { "content-type": "application/json" });
    if (answer.delayMs === undefined) send();
    else setTimeout(send, answer.delayMs).unref();
  };
  return { server, url: `${await server.start()}/v1` };
}

/** A model that takes each question and never answers; `asked` resolves at the first. */
export async function silentModel() {
  const server = new TestServer();
  servers.push(server);
  const asked = new Promise<void>((resolve) => {
    server.handler = () => resolve();
  });
  return { server, asked, url: `${await server.start()}/v1` };
}

/** The URL of a model that is not there: a server started, then stopped. */
export async function unreachableModel(): Promise<string> {
  const server = new TestServer();
  const url = `${await server.start()}/v1`;
  await server.stop();
  return url;
}

/** The chat messages of each question the model was asked. */
export function questionsTo(server: TestServer): { role: string; content: string }[][] {
  return server.requests.map((request) => JSON.parse(request.body).messages);
}
