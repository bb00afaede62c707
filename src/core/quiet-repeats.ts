/** Lines remembered at most: older ones are dropped first (each a distinct message). */
const REMEMBERED = 200;

/**
 * A log line said again and again (each poll while the database is down) is written once a
 * window: the first time, then at most once per window, saying how many like it were held back.
 * A founder reading the log after an outage finds a line a minute, not one a poll.
 */
export function quietRepeats(
  write: (message: string) => void,
  now: () => number,
  windowMs = 60_000,
): (message: string) => void {
  const written = new Map<string, { at: number; held: number }>();
  return (message) => {
    const at = now();
    const last = written.get(message);
    if (last !== undefined && at - last.at < windowMs) {
      last.held += 1;
      return;
    }
    written.delete(message);
    written.set(message, { at, held: 0 });
    // Maps keep insertion order: the first key is the line written longest ago.
    if (written.size > REMEMBERED) written.delete(written.keys().next().value!);
    const held = last?.held ?? 0;
    write(held === 0 ? message : `${message} (and ${held} more like it since the last)`);
  };
}
