import { Cron } from "croner";

export interface QuietHours {
  start: string;
  end: string;
  timezone: string;
}

function minutesOf(time: string): number {
  const [hours, minutes] = time.split(":").map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

/** Minutes since midnight at `at`, on the wall clock of `timezone`. */
function wallClockMinutes(at: number, timezone: string): number {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: timezone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(at));
  const value = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  return value("hour") * 60 + value("minute");
}

/** Quiet hours may wrap past midnight (22:00–07:00). */
export function isQuiet(quiet: QuietHours, at: number): boolean {
  const now = wallClockMinutes(at, quiet.timezone);
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  return start <= end ? now >= start && now < end : now >= start || now < end;
}

/** When the quiet hours that contain `at` end (croner knows the time zone rules). */
export function quietEnd(quiet: QuietHours, at: number): number {
  const [hours, minutes] = quiet.end.split(":");
  const next = new Cron(`${Number(minutes)} ${Number(hours)} * * *`, {
    timezone: quiet.timezone,
    paused: true,
  }).nextRun(new Date(at));
  return next?.getTime() ?? at;
}
