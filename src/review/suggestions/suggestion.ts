import type { CategoryConfig, Config, WorkerConfig } from "../../config/schema.js";

/* What a suggestion is, the thresholds of the rules that make them, and what they read. */

export type SuggestionKind =
  | "new_category"
  | "category_keywords"
  | "fix_routing"
  | "loosen_stall"
  | "worker_instructions";

export interface Evidence {
  /** One sentence with the figures. */
  summary: string;
  figures: Record<string, number>;
  taskIds: number[];
  /** Objectives or errors as written. */
  quotes: string[];
}

export interface Suggestion {
  kind: SuggestionKind;
  title: string;
  /** The change, in config terms. */
  proposal: string;
  evidence: Evidence;
}

export interface Thresholds {
  /** Catch-all tasks sharing terms before a category is proposed. */
  catchAllCluster: number;
  /** Reroutes from one category to another before its rules are called wrong. */
  reroutes: number;
  /** Times a stall rule fired and resolved itself (never with an action) before loosening it. */
  selfResolvedStalls: number;
  /** Identical logic failures of one worker before its instructions are questioned. */
  repeatedFailures: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  catchAllCluster: 3,
  reroutes: 3,
  selfResolvedStalls: 3,
  repeatedFailures: 3,
};

/** The parts of a category the rules read; tests can build them by hand. */
export type CategoryRules = Pick<
  CategoryConfig,
  "name" | "description" | "examples" | "match" | "catch_all"
> & { limits: Pick<CategoryConfig["limits"], "stall"> };

export interface SuggestionContext {
  categories: readonly CategoryRules[];
  workers: Readonly<Record<string, Pick<WorkerConfig, "kind">>>;
  stallFactor: number;
}

export function suggestionContext(config: Config): SuggestionContext {
  return {
    categories: config.categories,
    workers: config.workers,
    stallFactor: config.monitor.stall_factor,
  };
}
