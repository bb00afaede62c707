import type { TokenUsage } from "../core/model.js";
import type { AgentReading } from "./agent.js";

/** Tokens the models used on a request, by question, kept on its intake event. */
export interface ModelTokens {
  agent?: TokenUsage;
  classifier?: TokenUsage;
}

/** What the intake event records of the models asked: how the agent fared, the tokens used. */
export function modelData(request: { agent?: AgentReading; classifierUsage?: TokenUsage }): {
  agent?: string;
  tokens?: ModelTokens;
} {
  const tokens: ModelTokens = {
    ...(request.agent?.usage && { agent: request.agent.usage }),
    ...(request.classifierUsage && { classifier: request.classifierUsage }),
  };
  return {
    ...(request.agent && {
      agent: request.agent.answered ? "answered" : `failed: ${request.agent.failure}`,
    }),
    ...(Object.keys(tokens).length > 0 && { tokens }),
  };
}
