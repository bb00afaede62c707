import type { WriteOptions } from "../core/ports.js";
import type { TaskStore } from "../db/task-store.js";
import type { Filing, IntakeResult } from "../intake/intake.js";

/** A filing commits with its group, within milliseconds; a failing one undoes itself alone. */
const GROUPED: WriteOptions = { commit: "grouped" };

interface Waiting {
  filing: Filing;
  alongside: (() => void) | undefined;
  resolve: (result: IntakeResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Requests from the doors, stored together: those prepared in one turn of the event loop are filed
 * as one unit of work and committed at its end (a unit of its own, a savepoint, is a noticeable
 * share of a filing; docs/performance.md). Each caller hears once its task is committed, and a
 * commit that fails fails every caller in it. Should the batch fail as it is stored, it is undone
 * and each request is filed on its own, so that one request's failure stays its own.
 */
export class Filings {
  private waiting: Waiting[] = [];

  constructor(
    private readonly tasks: TaskStore,
    private readonly file: (filing: Filing) => IntakeResult,
  ) {}

  /** Resolves with the filed task once it is committed; `alongside` is written in its unit. */
  add(filing: Filing, alongside?: () => void): Promise<IntakeResult> {
    return new Promise((resolve, reject) => {
      if (this.waiting.push({ filing, alongside, resolve, reject }) === 1)
        setImmediate(() => this.fileWaiting());
    });
  }

  /** Files what is waiting now, without waiting for the end of the turn (stopping). */
  fileWaiting(): void {
    const batch = this.waiting.splice(0);
    if (batch.length === 0) return;
    const outcomes = this.fileTogether(batch) ?? batch.map((entry) => this.fileAlone(entry));
    const failure = this.tasks.commit();
    batch.forEach((entry, index) => {
      const outcome = outcomes[index]!;
      if (failure !== undefined) entry.reject(failure);
      else if ("result" in outcome) entry.resolve(outcome.result);
      else entry.reject(outcome.error);
    });
  }

  /** The whole batch in one unit; undefined when it failed and was undone. */
  private fileTogether(batch: readonly Waiting[]): { result: IntakeResult }[] | undefined {
    if (batch.length === 1) return undefined;
    try {
      return this.tasks.write(
        () => batch.map((entry) => ({ result: this.fileOne(entry) })),
        GROUPED,
      );
    } catch {
      return undefined;
    }
  }

  private fileAlone(entry: Waiting): { result: IntakeResult } | { error: unknown } {
    try {
      return { result: this.tasks.write(() => this.fileOne(entry), GROUPED) };
    } catch (error) {
      return { error };
    }
  }

  private fileOne({ filing, alongside }: Waiting): IntakeResult {
    alongside?.();
    return this.file(filing);
  }
}
