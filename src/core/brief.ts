/** The structured brief every request becomes, whatever door it came through. */
export interface Brief {
  objective: string;
  inputs: string[];
  constraints: string[];
  output_format: string;
  acceptance_criteria: string[];
}

export const BRIEF_FIELDS = [
  "objective",
  "inputs",
  "constraints",
  "output_format",
  "acceptance_criteria",
] as const satisfies readonly (keyof Brief)[];

export type BriefField = (typeof BRIEF_FIELDS)[number];

/** Human labels, used when a field is asked for or shown. */
/** Where each field intake filled in for the requester came from, to show and be corrected. */
export type FilledFields = Partial<Record<BriefField, string>>;

export const BRIEF_FIELD_LABELS: Record<BriefField, string> = {
  objective: "Objective",
  inputs: "Inputs",
  constraints: "Constraints",
  output_format: "Output format",
  acceptance_criteria: "Acceptance criteria",
};

/** Longest text accepted for one field; beyond it a request is refused whole. */
export const MAX_FIELD_CHARS = 8000;

export function emptyBrief(): Brief {
  return { objective: "", inputs: [], constraints: [], output_format: "", acceptance_criteria: [] };
}

export function isFieldEmpty(brief: Brief, field: BriefField): boolean {
  const value = brief[field];
  return Array.isArray(value) ? value.length === 0 : value.trim() === "";
}

export function missingFields(brief: Brief, required: readonly BriefField[]): BriefField[] {
  return required.filter((field) => isFieldEmpty(brief, field));
}

/** All the words of a brief, for classification. */
export function briefText(brief: Brief): string {
  return [
    brief.objective,
    ...brief.inputs,
    ...brief.constraints,
    brief.output_format,
    ...brief.acceptance_criteria,
  ].join("\n");
}
