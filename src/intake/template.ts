import type { BriefTemplate } from "../config/schema.js";
import type { FieldValues } from "./intake.js";

/** Placeholders a scheduled brief may use, rendered for the tick's time in its time zone. */
export function placeholders(at: Date, timezone: string, name: string): Record<string, string> {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: timezone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      weekday: "long",
      hourCycle: "h23",
    })
      .formatToParts(at)
      .map((part) => [part.type, part.value]),
  );
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  const time = `${parts.hour}:${parts.minute}`;
  return {
    date,
    time,
    datetime: `${date} ${time}`,
    month: `${parts.year}-${parts.month}`,
    year: `${parts.year}`,
    weekday: `${parts.weekday}`,
    name,
  };
}

/** `{{date}}` style placeholders; an unknown one is left as written so the mistake shows. */
export function renderText(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, key: string) => values[key] ?? whole);
}

export function renderTemplate(
  template: BriefTemplate,
  values: Record<string, string>,
): FieldValues {
  const fields: FieldValues = {};
  for (const [field, value] of Object.entries(template) as [
    keyof BriefTemplate,
    string | string[] | undefined,
  ][]) {
    if (value === undefined) continue;
    fields[field] = Array.isArray(value)
      ? value.map((item) => renderText(item, values))
      : renderText(value, values);
  }
  return fields;
}
