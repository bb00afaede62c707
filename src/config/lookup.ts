import { StewardError } from "../core/errors.js";
import type { CategoryConfig, Config } from "./schema.js";

export function categoryNamed(config: Config, name: string): CategoryConfig {
  const category = config.categories.find((candidate) => candidate.name === name);
  if (category === undefined) {
    const known = config.categories.map((candidate) => candidate.name).join(", ");
    throw new StewardError("unknown_category", `no category named "${name}" (known: ${known})`);
  }
  return category;
}

/** A category's own limit, else the transient policy's. */
export function maxAttemptsOf(config: Config, category: CategoryConfig): number {
  return category.limits.max_attempts ?? config.policies.transient.max_attempts;
}
