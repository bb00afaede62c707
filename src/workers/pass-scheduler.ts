import { performance } from "node:perf_hooks";
import { RESOLVED } from "../core/resolved.js";

/**
 * How long passes may follow one another without a turn of the event loop in between: the
 * pass that ending runs ask for comes as a microtask, not a turn later. At C=1 every task costs
 * a pass, and a turn apiece is a measurable share of processing (docs/performance.md). After
 * this long the loop gets its turn, for timers (the group's commit) and I/O (requests coming in).
 */
const BURST_MS = 2;
/** When the pool's next pass runs: soon, once for a burst of asks. */
export class PassScheduler {
  private scheduled = false;
  /** When the passes running back to back began (see BURST_MS). */
  private burstStart = Number.NEGATIVE_INFINITY;

  /**
   * `pass` starts the pool's pass, guarded (it must not throw); passes queue behind one another
   * in the pool, so one asked for while another runs comes after it.
   */
  constructor(private readonly pass: () => void) {}

  /** Makes a pass soon; coalesced so a burst of calls makes one pass. */
  soon(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Still coalesced: the runs that end together all queue their writes before this runs.
    // A promise's reaction, not queueMicrotask: Node wraps each of those in an AsyncResource.
    if (performance.now() - this.burstStart < BURST_MS) void RESOLVED.then(this.scheduledPass);
    else setImmediate(this.burstingPass);
  }

  /**
   * The callbacks of `soon`, made once: tsx names every closure as it is made (esbuild's
   * keepNames), which is not free on a path run once a task (docs/performance.md).
   */
  private readonly scheduledPass = () => {
    this.scheduled = false;
    this.pass();
  };

  private readonly burstingPass = () => {
    this.burstStart = performance.now();
    this.scheduledPass();
  };
}
