export interface Backoff {
  base: number;
  factor: number;
  max: number;
  jitter: boolean;
}

/**
 * Delay before retry number `attempt` (1 = the first retry): exponential, capped, and with
 * "equal jitter" — half fixed, half random — so a burst of failures does not retry in step.
 */
export function backoffDelay(
  backoff: Backoff,
  attempt: number,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(
    backoff.max,
    backoff.base * backoff.factor ** Math.max(0, attempt - 1),
  );
  if (!backoff.jitter) return exponential;
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
