/**
 * What the domain needs of a language model, so intake never imports a worker kind: one chat
 * exchange (a system and a user message) that answers JSON. `src/workers/kinds/llm.ts`
 * implements it over any OpenAI-compatible endpoint.
 */

/** The tokens one call used, as the endpoint reported them. */
export interface TokenUsage {
  prompt: number;
  completion: number;
}

export interface JsonModel {
  ask(question: { system: string; user: string; signal: AbortSignal }): Promise<{
    content: string;
    usage?: TokenUsage;
  }>;
}

/** No question to a model waits longer than this, whatever its worker's own timeout. */
export const MAX_MODEL_WAIT_MS = 30_000;

/**
 * The signal a question waits under: its timeout (capped) or `stop` (Steward stopping),
 * whichever comes first; `timedOut` tells the two apart afterwards.
 */
export function questionSignal(
  timeoutMs: number,
  stop?: AbortSignal,
): { signal: AbortSignal; timedOut: () => boolean } {
  const timeout = AbortSignal.timeout(Math.min(timeoutMs, MAX_MODEL_WAIT_MS));
  const signal = stop === undefined ? timeout : AbortSignal.any([timeout, stop]);
  return { signal, timedOut: () => timeout.aborted && !stop?.aborted };
}
