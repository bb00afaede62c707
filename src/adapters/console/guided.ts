import { BRIEF_FIELD_LABELS, type Brief, type BriefField } from "../../core/brief.js";
import type { FieldValues } from "../../intake/intake.js";
import { oneLine } from "./format.js";
import { INTERRUPTED, type Terminal } from "./terminal.js";

export interface Question {
  field: BriefField;
  label: string;
  hint: string;
  /** What the brief says now, when editing. */
  current?: string;
}

/** Asks one question; `undefined` means the person stopped (Ctrl-C, end of input). */
export type Ask = (question: Question) => Promise<string | undefined>;

const HINTS: Record<BriefField, string> = {
  objective: "what should be done",
  inputs: "links, files, context to work from; separate items with ;",
  constraints: "limits or rules to keep to; separate items with ;",
  output_format: "what should come back, e.g. a markdown draft",
  acceptance_criteria: "how you will know it is done; separate items with ;",
};

const LIST_FIELDS: readonly BriefField[] = ["inputs", "constraints", "acceptance_criteria"];

/** Asks for each field in turn; an empty answer skips it. `undefined` if the person stopped. */
export async function askFields(
  fields: readonly BriefField[],
  ask: Ask,
  current?: Brief,
): Promise<FieldValues | undefined> {
  const values: FieldValues = {};
  for (const field of fields) {
    const shown = current === undefined ? "" : showValue(current[field]);
    const answer = await ask({
      field,
      label: BRIEF_FIELD_LABELS[field],
      hint: HINTS[field],
      ...(shown === "" ? {} : { current: shown }),
    });
    if (answer === undefined) return undefined;
    const value = fieldValue(field, answer);
    if (value !== undefined) values[field] = value;
  }
  return values;
}

/** One typed line as a field value: list fields split on `;`; blank means skipped. */
export function fieldValue(field: BriefField, answer: string): string | string[] | undefined {
  const text = answer.trim();
  if (text === "") return undefined;
  if (!LIST_FIELDS.includes(field)) return text;
  const items = text
    .split(";")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  return items.length === 0 ? undefined : items;
}

function showValue(value: string | string[]): string {
  return oneLine(Array.isArray(value) ? value.join("; ") : value, 50);
}

/**
 * Questions on the terminal: a prompt with the hint on a TTY; on a pipe the answer is echoed
 * after the label, so a transcript reads as a filled-in form.
 */
export function terminalAsk(terminal: Terminal): Ask {
  return async (question) => {
    const now = question.current === undefined ? "" : ` [now: ${question.current}]`;
    const line = await terminal.next(`  ${question.label} (${question.hint})${now}: `);
    if (line === undefined || line === INTERRUPTED) return undefined;
    if (!terminal.interactive) {
      terminal.print(`  ${question.label}: ${line.trim() === "" ? "(skipped)" : line.trim()}`);
    }
    return line;
  };
}
