import { createHash } from "node:crypto";
import type { LabelledRequest } from "./labelled.js";

/**
 * What a config file says, as a short hash: the same on every host that runs the same file and
 * corpus, whatever each host's environment fills in (a worker host has no Discord token), and
 * whatever order its keys are written in. Processes register it, so `steward status` can name the
 * hosts left on another file.
 */
export function configFingerprint(
  written: unknown,
  corpus: readonly LabelledRequest[] | undefined,
): string {
  const canonical = JSON.stringify([written, corpus ?? []], (_key, value: unknown) =>
    value !== null && typeof value === "object" && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
  return createHash("sha256").update(canonical).digest("hex").slice(0, 12);
}
