import type { TaskRepository } from "../core/ports.js";
import type { Filing, IntakeResult } from "../intake/intake.js";

interface Waiting {
  filing: Filing;
  alongside: (() => Promise<void>) | undefined;
  resolve: (result: IntakeResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Requests from the doors, stored together: those prepared in one turn of the event loop are filed
 * as one write, committed when it ends (a write of its own each is a noticeable share of a filing;
 * docs/performance.md). Each caller hears once its task is committed, and a commit that fails
 * fails every caller in it. Should the batch fail as it is stored, it is undone and each request
 * is filed on its own, so that one request's failure stays its own.
 */
export class Filings {
  private waiting: Waiting[] = [];
  /** The batches being filed: `fileWaiting` waits for them too. */
  private filing: Promise<void> = Promise.resolve();

  constructor(
    private readonly tasks: TaskRepository<"async">,
    private readonly file: (filing: Filing) => Promise<IntakeResult>,
  ) {}

  /** Resolves with the filed task once it is committed; `alongside` is written in its unit. */
  add(filing: Filing, alongside?: () => Promise<void>): Promise<IntakeResult> {
    return new Promise((resolve, reject) => {
      if (this.waiting.push({ filing, alongside, resolve, reject }) === 1)
        setImmediate(() => void this.fileWaiting());
    });
  }

  /** Files what is waiting now, without waiting for the end of the turn (stopping). */
  fileWaiting(): Promise<void> {
    const batch = this.waiting.splice(0);
    if (batch.length > 0) this.filing = this.filing.then(() => this.fileBatch(batch));
    return this.filing;
  }

  private async fileBatch(batch: readonly Waiting[]): Promise<void> {
    const together = await this.fileTogether(batch);
    if (together !== undefined) {
      for (const [index, entry] of batch.entries()) entry.resolve(together[index]!);
      return;
    }
    for (const entry of batch) {
      try {
        entry.resolve(await this.tasks.write(() => this.fileOne(entry)));
      } catch (error) {
        entry.reject(error);
      }
    }
  }

  /** The whole batch in one write; undefined when it failed and was undone. */
  private async fileTogether(batch: readonly Waiting[]): Promise<IntakeResult[] | undefined> {
    if (batch.length === 1) return undefined;
    try {
      return await this.tasks.write(async () => {
        const results: IntakeResult[] = [];
        for (const entry of batch) results.push(await this.fileOne(entry));
        return results;
      });
    } catch {
      return undefined;
    }
  }

  private fileOne({ filing, alongside }: Waiting): Promise<IntakeResult> {
    if (alongside === undefined) return this.file(filing);
    return alongside().then(() => this.file(filing));
  }
}
