import { BRIEF_FIELD_LABELS, type BriefField, type FilledFields } from "../core/brief.js";
import type { TaskEvent } from "../core/task.js";

/* What intake found, in words for people: the fields missing, the fields it filled in. */

export function describeMissing(missing: readonly BriefField[]): string {
  return missing.map((field) => BRIEF_FIELD_LABELS[field].toLowerCase()).join(", ");
}

/** "inputs (from the intake agent); acceptance criteria (from content's defaults)". */
export function describeFilled(filled: FilledFields): string {
  const bySource = new Map<string, string[]>();
  for (const [name, source] of Object.entries(filled) as [BriefField, string][]) {
    bySource.set(source, [...(bySource.get(source) ?? []), BRIEF_FIELD_LABELS[name].toLowerCase()]);
  }
  return [...bySource]
    .map(([source, fields]) => `${fields.join(", ")} (from ${source})`)
    .join("; ");
}

/** What intake filled in when it filed the task, as its first event recorded it. */
export function filledOf(events: readonly TaskEvent[]): FilledFields {
  const filled = events[0]?.data?.filled;
  return filled !== null && typeof filled === "object" ? (filled as FilledFields) : {};
}
