/**
 * Steward's processes as systemd would keep them: each unit is one command line, started again
 * a moment after it dies. Only the test kills them (SIGKILL, recorded with the process's lease
 * owner name); a unit that exits on its own is a failure the test reports.
 */
import { hostname } from "node:os";
import { launch, type StewardProcess } from "../../steward-process.js";

/** systemd's `RestartSec=`: how long a killed unit stays down. */
const RESTART_MS = 500;

export interface Kill {
  unit: string;
  pid: number;
  /** `${hostname}:${pid}`: how the lease owner it wrote on the tasks it claimed begins. */
  owner: string;
  /** When SIGKILL was sent, and when its exit was seen here. */
  at: number;
  diedAt: number;
}

export interface Unit {
  readonly name: string;
  /** The process running now (or the one that just died, until its restart). */
  current: StewardProcess;
  /** Every process the unit has run, oldest first. */
  readonly runs: StewardProcess[];
}

export class Supervisor {
  readonly units: Unit[] = [];
  readonly kills: Kill[] = [];
  /** Exits nobody asked for: each a failure. */
  readonly crashes: string[] = [];
  private stopped = false;
  private readonly restarts = new Set<NodeJS.Timeout>();

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** Starts `args` (`serve`, `worker …`) as a unit kept running until `stop`. */
  start(name: string, args: string[]): Unit {
    const first = launch(args, this.env);
    const unit: Unit = { name, current: first, runs: [first] };
    this.units.push(unit);
    this.watch(unit, args, first);
    return unit;
  }

  /** `kill -9` of the unit's process; its restart follows after RESTART_MS. */
  async kill(unit: Unit): Promise<Kill> {
    const { child } = unit.current;
    const pid = child.pid!;
    const at = Date.now();
    const kill: Kill = { unit: unit.name, pid, owner: `${hostname()}:${pid}`, at, diedAt: at };
    this.kills.push(kill);
    child.kill("SIGKILL");
    await unit.current.exited;
    kill.diedAt = Date.now();
    return kill;
  }

  /** No more restarts; every process still running is killed (SIGKILL) and waited for. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.restarts) clearTimeout(timer);
    this.restarts.clear();
    const running = this.units.flatMap((unit) => unit.runs).filter(isRunning);
    for (const run of running) run.child.kill("SIGKILL");
    await Promise.all(running.map((run) => run.exited));
  }

  /** Every process of every unit, in the order started. */
  all(): StewardProcess[] {
    return this.units.flatMap((unit) => unit.runs);
  }

  private watch(unit: Unit, args: string[], run: StewardProcess): void {
    void run.exited.then(({ code, signal }) => {
      if (this.stopped) return;
      const pid = run.child.pid;
      if (!this.kills.some((kill) => kill.pid === pid)) {
        this.crashes.push(
          `${unit.name} (pid ${pid}) exited by itself (code ${code}, signal ${signal}):\n` +
            run.stderr().slice(-2_000),
        );
      }
      const timer = setTimeout(() => {
        this.restarts.delete(timer);
        const next = launch(args, this.env);
        unit.current = next;
        unit.runs.push(next);
        this.watch(unit, args, next);
      }, RESTART_MS);
      this.restarts.add(timer);
    });
  }
}

export function isRunning(run: StewardProcess): boolean {
  return run.child.exitCode === null && run.child.signalCode === null;
}
