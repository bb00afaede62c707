import { type Brief, type BriefField, isFieldEmpty } from "../core/brief.js";
import { normaliseFields, parseFreeText } from "./parse.js";
import { mergeBriefs } from "./plan.js";

/** Free text answers the missing fields in order; labelled text and fields answer by name. */
export function answerBrief(
  brief: Brief,
  missing: BriefField[],
  answer: { text?: string; fields?: Partial<Record<BriefField, string | string[]>> },
): Brief {
  const text = answer.text ?? "";
  const parsed = parseFreeText(text).brief;
  const labelled = (Object.keys(parsed) as BriefField[]).some(
    (field) => field !== "objective" && !isFieldEmpty(parsed, field),
  );
  let answered = brief;
  if (text.trim() !== "" && !labelled) {
    // An unlabelled reply answers the first missing question; with none missing (a worker
    // asked), it is context for the next attempt, never a new objective.
    const field = missing[0] ?? "inputs";
    answered = mergeBriefs(answered, normaliseFields({ [field]: text }));
  } else if (text.trim() !== "") {
    answered = mergeBriefs(answered, parsed);
  }
  return mergeBriefs(answered, normaliseFields(answer.fields ?? {}));
}
