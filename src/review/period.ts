import type { DayRange, ReviewPeriod } from "./port.js";

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** `2024-05` → its year and month (1–12); anything else is refused with the expected form. */
export function parseMonth(text: string): { year: number; month: number } {
  const match = MONTH.exec(text.trim());
  if (match === null) throw new RangeError(`expected a month like 2024-05, got "${text}"`);
  return { year: Number(match[1]), month: Number(match[2]) };
}

/** The last full month before `now`, as the calendar in `timeZone` sees it. */
export function previousMonth(now: number, timeZone = "UTC"): string {
  const local = localDate(now, timeZone);
  const year = local.month === 1 ? local.year - 1 : local.year;
  const month = local.month === 1 ? 12 : local.month - 1;
  return formatMonth(year, month);
}

/** The month `now` falls in, as the calendar in `timeZone` sees it. */
export function currentMonth(now: number, timeZone = "UTC"): string {
  const local = localDate(now, timeZone);
  return formatMonth(local.year, local.month);
}

/**
 * One month as `[start, end)` in milliseconds, and each of its days: local midnights in the time
 * zone, so a day with a DST change is 23 or 25 hours long and still one bar in the chart.
 */
export function monthPeriod(month: string, timeZone = "UTC"): ReviewPeriod {
  assertTimeZone(timeZone);
  const { year, month: number } = parseMonth(month);
  const daysInMonth = new Date(Date.UTC(year, number, 0)).getUTCDate();
  const midnights = Array.from({ length: daysInMonth + 1 }, (_, index) =>
    zonedMidnight(year, number, index + 1, timeZone),
  );
  const days: DayRange[] = midnights.slice(0, -1).map((start, index) => ({
    day: `${formatMonth(year, number)}-${String(index + 1).padStart(2, "0")}`,
    start,
    end: midnights[index + 1]!,
  }));
  return { month, timeZone, start: midnights[0]!, end: midnights.at(-1)!, days };
}

function formatMonth(year: number, month: number): string {
  return `${year}-${String(month).padStart(2, "0")}`;
}

function assertTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
  } catch {
    throw new RangeError(`review.timezone: unknown time zone "${timeZone}"`);
  }
}

/** Local midnight of a calendar day (day may overflow into the next month, as Date.UTC allows). */
function zonedMidnight(year: number, month: number, day: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day);
  // Two passes: the offset at the first guess may differ from the offset at the answer (DST).
  const guess = wall - offsetAt(wall, timeZone);
  return wall - offsetAt(guess, timeZone);
}

/** How far the zone's wall clock is ahead of UTC at `instant`. */
function offsetAt(instant: number, timeZone: string): number {
  const local = localDate(instant, timeZone);
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, 0);
  return wall - Math.floor(instant / 60_000) * 60_000;
}

interface LocalDate {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function localDate(instant: number, timeZone: string): LocalDate {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
    });
    formatters.set(timeZone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(instant)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 1970,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
  };
}
