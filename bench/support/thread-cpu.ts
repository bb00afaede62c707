import { existsSync, readdirSync, readFileSync } from "node:fs";

/** Linux counts a thread's CPU in clock ticks of USER_HZ, 100 a second on every common build. */
const TICK_US = 10_000;

/** CPU time (µs) of each thread of this process by thread id, from /proc; undefined off Linux. */
export function threadTimes(): Map<number, number> | undefined {
  if (!existsSync("/proc/self/task")) return undefined;
  const times = new Map<number, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      times.set(Number(tid), (Number(fields[11]) + Number(fields[12])) * TICK_US);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return times;
}

/**
 * The CPU spent between two readings: on the main thread (whose id is the process's) and on
 * every other (V8's garbage collector and compiler, libuv's pool, the checkpoint thread), in µs.
 */
export function mainAndRest(
  before: Map<number, number>,
  after: Map<number, number>,
): { main: number; rest: number } {
  let main = 0;
  let rest = 0;
  for (const [tid, time] of after) {
    const spent = time - (before.get(tid) ?? 0);
    if (tid === process.pid) main += spent;
    else rest += spent;
  }
  return { main, rest };
}
