import ms from "ms";

/** `90s`, `30m`, `2h`, `1d`, `500ms` (or a bare number of milliseconds) → milliseconds. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  const trimmed = value.trim();
  // `ms` also accepts a bare number as milliseconds and long forms like "5 minutes".
  if (!/^\d+(\.\d+)?\s*[a-z]*$/i.test(trimmed)) return undefined;
  const parsed = ms(trimmed as ms.StringValue);
  return typeof parsed === "number" && Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
}

/** Milliseconds → the shortest readable form (`90000` → `1m 30s`). */
export function formatDuration(milliseconds: number): string {
  if (milliseconds < 1000) return `${Math.round(milliseconds)}ms`;
  const units: [string, number][] = [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ];
  const parts: string[] = [];
  let rest = Math.round(milliseconds / 1000) * 1000;
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
    if (parts.length === 2) break;
  }
  return parts.join(" ");
}
