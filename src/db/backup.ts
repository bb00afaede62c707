import { existsSync, renameSync, rmSync, statSync } from "node:fs";
import Database from "better-sqlite3";

export interface BackupResult {
  file: string;
  pages: number;
  bytes: number;
}

/**
 * SQLite's online backup of `source` into `target`, safe while Steward runs: the copy is one
 * consistent snapshot (every page in a single step, so a write from the running process never
 * restarts it), checked, then renamed into place so `target` is never half written.
 */
export async function backupDatabase(source: string, target: string): Promise<BackupResult> {
  if (!existsSync(source)) throw new Error(`${source} does not exist`);
  if (existsSync(target)) throw new Error(`${target} exists already: choose a new file`);
  const partial = `${target}.partial`;
  rmSync(partial, { force: true });
  // Read-write only so a WAL database opens without Steward's -shm; nothing is written.
  const db = new Database(source, { fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    const { totalPages } = await db.backup(partial, { progress: () => 0x7fffffff });
    const copy = new Database(partial);
    try {
      const check = copy.pragma("quick_check", { simple: true });
      if (check !== "ok") throw new Error(`the copy failed its check: ${String(check)}`);
      // A self-contained file: restore is a copy, with no -wal beside it.
      copy.pragma("journal_mode = DELETE");
    } finally {
      copy.close();
    }
    renameSync(partial, target);
    return { file: target, pages: totalPages, bytes: statSync(target).size };
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  } finally {
    db.close();
  }
}
