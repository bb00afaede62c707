import type { CategoryConfig, Config } from "../config/schema.js";
import {
  type Brief,
  type BriefField,
  emptyBrief,
  type FilledFields,
  isFieldEmpty,
  missingFields,
} from "../core/brief.js";
import { destinationRefusal } from "../core/destination.js";
import type { TaskState } from "../core/states.js";
import type { RoutingTrace } from "../core/task.js";
import { type AgentReading, fillFromAgent } from "./agent.js";
import { describeMissing } from "./describe.js";
import { criteriaInProse } from "./prose.js";

/*
 * What a brief becomes before it is stored, all pure: requests merged, filled in from the agent,
 * the prose and the category's defaults, what it still lacks, and where it goes next.
 */

export const DOES_NOT_FIT = "does not fit any category";

/** `over` fills every field it has; `base` keeps the rest. Lists are joined, not replaced. */
export function mergeBriefs(base: Brief, over: Brief): Brief {
  return {
    objective: pickFilled(base.objective, over.objective),
    inputs: joinLists(base.inputs, over.inputs),
    constraints: joinLists(base.constraints, over.constraints),
    output_format: pickFilled(base.output_format, over.output_format),
    acceptance_criteria: joinLists(base.acceptance_criteria, over.acceptance_criteria),
  };
}

function pickFilled(base: string, over: string): string {
  return over.trim() !== "" ? over : base;
}

function joinLists(base: string[], over: string[]): string[] {
  return over.length === 0 ? [...base] : [...base, ...over.filter((item) => !base.includes(item))];
}

/** A category's defaults fill only what the requester left empty. */
export function applyDefaults(brief: Brief, category: CategoryConfig): Brief {
  const defaults = category.defaults;
  const filled = { ...brief };
  if (isFieldEmpty(filled, "objective") && defaults.objective)
    filled.objective = defaults.objective;
  if (isFieldEmpty(filled, "output_format") && defaults.output_format) {
    filled.output_format = defaults.output_format;
  }
  for (const field of ["inputs", "constraints", "acceptance_criteria"] as const) {
    const value = defaults[field];
    if (isFieldEmpty(filled, field) && value) filled[field] = value;
  }
  return filled;
}

/**
 * What can be known without asking: the intake agent's reading when it gave one, then the rules
 * for what is still empty. The fields the agent calls unknown stay empty, to be asked for.
 */
export function fillIn(
  parsed: Brief,
  text: string,
  category: CategoryConfig,
  agent: AgentReading | undefined,
): { brief: Brief; filled: FilledFields } {
  const read = fillFromAgent(parsed, agent);
  const ruled = fillByRules(read.brief, text, category);
  const brief = ruled.brief;
  const filled = { ...ruled.filled, ...read.filled };
  for (const field of read.unknown) {
    Object.assign(brief, { [field]: emptyBrief()[field] });
    delete filled[field];
  }
  return { brief, filled };
}

/**
 * Criteria the text states in passing, then the category's defaults for whatever is still
 * empty. Criteria from both are kept (the requester's first): the defaults are the category's
 * idea of "done", the prose says what this request adds.
 */
function fillByRules(
  parsed: Brief,
  text: string,
  category: CategoryConfig,
): { brief: Brief; filled: FilledFields } {
  const stated = isFieldEmpty(parsed, "acceptance_criteria") ? criteriaInProse(text) : [];
  const defaults = `${category.name}'s defaults`;
  const brief = applyDefaults(parsed, category);
  const filled: FilledFields = {};
  for (const field of Object.keys(brief) as BriefField[]) {
    if (isFieldEmpty(parsed, field) && !isFieldEmpty(brief, field)) filled[field] = defaults;
  }
  if (stated.length > 0) {
    const fromDefaults = isFieldEmpty(parsed, "acceptance_criteria")
      ? brief.acceptance_criteria
      : [];
    brief.acceptance_criteria = [
      ...stated,
      ...fromDefaults.filter((item) => !stated.includes(item)),
    ];
    filled.acceptance_criteria =
      fromDefaults.length > 0
        ? `the request's own words and ${defaults}`
        : "the request's own words";
  }
  return { brief, filled };
}

/**
 * What the brief still lacks before it may be queued: the required fields left empty, and the
 * output format when the destination it names would be refused (`refusal` says why).
 */
export interface Unmet {
  missing: BriefField[];
  refusal?: string;
}

export function unmet(brief: Brief, config: Config): Unmet {
  const missing = missingFields(brief, config.intake.required);
  const refusal = destinationRefusal(brief.output_format, config.delivery);
  if (refusal === undefined || missing.includes("output_format")) return { missing };
  return { missing: [...missing, "output_format"], refusal };
}

/** Where a routed, completed brief goes next, and why. */
export function decide(
  { missing, refusal }: Unmet,
  category: CategoryConfig,
  routing: RoutingTrace,
): { state: TaskState; reason: string } {
  // Without an objective there is nothing to route; with one that fits nowhere, a person
  // deciding where it goes helps more than asking the requester for criteria first.
  if (missing.includes("objective")) return clarify({ missing, refusal });
  if (category.catch_all) return { state: "escalated", reason: DOES_NOT_FIT };
  if (missing.length > 0) return clarify({ missing, refusal });
  return { state: "queued", reason: `routed to ${category.name}: ${routing.explanation}` };
}

export function clarify({ missing, refusal }: Unmet): { state: TaskState; reason: string } {
  const empty = missing.filter((field) => refusal === undefined || field !== "output_format");
  const reasons = [
    ...(empty.length > 0 ? [`missing ${describeMissing(empty)}`] : []),
    ...(refusal === undefined ? [] : [`output format: ${refusal}`]),
  ];
  return { state: "needs_clarification", reason: reasons.join("; ") };
}
