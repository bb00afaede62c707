import { BRIEF_FIELDS, type Brief, type BriefField, emptyBrief } from "../core/brief.js";
import { canonicalLabel, isListField, type ListField, NEGATING_PREFIXES } from "./labels.js";
import { collapse, joinLines, splitListBody, trimEndWhile } from "./section-body.js";
import { segment } from "./sections.js";
import { harvestUrls } from "./urls.js";

/** What a free-text request says, before anyone asks for the fields it left out. */
export interface ParsedRequest {
  brief: Brief;
  /** Set when the text names one with a `Category:` label (lower-cased, trimmed). */
  category?: string;
}

/**
 * Turns a free-text request (a Discord message, a console line, a webhook's text) into a brief.
 * Never throws; whitespace-only text gives an empty brief (plus any attachments).
 */
export function parseFreeText(text: string, attachments: string[] = []): ParsedRequest {
  const source = typeof text === "string" ? text : "";
  try {
    return parse(source, Array.isArray(attachments) ? attachments : []);
  } catch {
    // A parser bug must not lose the request: keep the words as the objective.
    return { brief: { ...emptyBrief(), objective: collapse(source) } };
  }
}

/**
 * A brief from structured fields (slash-command options, webhook fields). List fields given as one
 * string are split like a section body; strings are trimmed; URLs are left where they are.
 */
export function normaliseFields(fields: Partial<Record<BriefField, string | string[]>>): Brief {
  const brief = emptyBrief();
  for (const field of BRIEF_FIELDS) {
    const value: unknown = fields?.[field];
    if (isListField(field)) brief[field] = normaliseList(value);
    else brief[field] = normaliseString(value);
  }
  return brief;
}

function parse(text: string, attachments: readonly string[]): ParsedRequest {
  const brief = emptyBrief();
  let category: string | undefined;
  if (text.trim() !== "") {
    const [leading, ...labelled] = segment(text);
    const strings: Record<Exclude<BriefField, ListField>, string[]> = {
      objective: [],
      output_format: [],
    };
    for (const { key, label, lines } of labelled) {
      if (key === "category") category ??= readCategory(lines);
      else if (key !== null && isListField(key)) brief[key].push(...listItems(label, lines));
      // Repeated string labels join, in the order they were written.
      else if (key !== null) strings[key].push(joinLines(lines));
    }
    brief.objective = joinNonEmpty(strings.objective);
    brief.output_format = joinNonEmpty(strings.output_format);
    placeLeadingText(brief, joinLines(leading?.lines ?? []));
    appendUnique(brief.inputs, harvestUrls(text));
  }
  appendUnique(
    brief.inputs,
    attachments.filter((item) => typeof item === "string"),
  );
  return category === undefined ? { brief } : { brief, category };
}

/**
 * Unlabelled text before the first label is the objective when no label gave one; otherwise it
 * is kept as context in the inputs, ahead of the rest.
 */
function placeLeadingText(brief: Brief, leading: string): void {
  if (leading === "") return;
  if (brief.objective === "") brief.objective = leading;
  else brief.inputs.unshift(leading);
}

function listItems(label: string, lines: readonly string[]): string[] {
  const prefix = NEGATING_PREFIXES.get(canonicalLabel(label));
  const items = splitListBody(lines);
  return prefix ? items.map((item) => withPrefix(prefix, item)) : items;
}

function joinNonEmpty(parts: readonly string[]): string {
  return parts.filter((part) => part !== "").join(" ");
}

function readCategory(lines: readonly string[]): string | undefined {
  const value = trimEndWhile(joinLines(lines).toLowerCase(), /[\s.!]/);
  return value === "" ? undefined : value;
}

/** Adds items not already there; a URL already quoted inside an input counts as there. */
function appendUnique(inputs: string[], items: readonly string[]): void {
  // Most requests bring no URL and no attachment: nothing to compare against.
  if (items.length === 0) return;
  const present = new Set(inputs.flatMap((input) => [input, ...harvestUrls(input)]));
  for (const raw of items) {
    const item = raw.trim();
    if (item === "" || present.has(item)) continue;
    inputs.push(item);
    present.add(item);
  }
}

function withPrefix(prefix: string, item: string): string {
  if (canonicalLabel(item).startsWith(`${canonicalLabel(prefix)} `)) return item;
  // Lower-case a capitalised first word ("Use" → "use") but leave acronyms ("API") alone.
  const first = /^\p{Lu}\p{Ll}/u.test(item) ? item.charAt(0).toLowerCase() + item.slice(1) : item;
  return `${prefix} ${first}`;
}

function normaliseList(value: unknown): string[] {
  if (typeof value === "string") return splitListBody(value.split(/\r\n|\r|\n/));
  if (!Array.isArray(value)) return [];
  return value
    .filter((item): item is string => typeof item === "string")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

function normaliseString(value: unknown): string {
  if (typeof value === "string") return value.trim();
  if (!Array.isArray(value)) return "";
  return value
    .filter((item): item is string => typeof item === "string")
    .map((item) => item.trim())
    .filter((item) => item !== "")
    .join(" ");
}
