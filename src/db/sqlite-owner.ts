import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";

/** This process's hold on a SQLite file as the one Steward serving it; released on close. */
export interface SqliteOwner {
  release(): void;
}

/**
 * Takes a SQLite file for this process alone, or throws if another Steward serves it. On SQLite
 * one process owns the database: its start voids every lease, so a second one would take the
 * first's running tasks from under it and run, deliver and post them again.
 *
 * The hold is an exclusive lock on a file beside it (`<file>.lock`, an empty SQLite database
 * kept locked through SQLite's own exclusive locking mode): the operating system lets it go when
 * the process ends, however it ends, so a restart after a crash is never refused, and a copy of
 * the database (a restored backup) comes without it.
 */
export function ownSqliteFile(file: string): SqliteOwner {
  const path = `${file}.lock`;
  let lock: Database.Database | undefined;
  try {
    // Taken before the database is opened, which makes its folder on a first start.
    mkdirSync(dirname(resolve(path)), { recursive: true });
    lock = new Database(path, { timeout: 0 });
    lock.pragma("locking_mode = EXCLUSIVE");
    // The first write takes the exclusive lock; in this mode it is kept until the connection closes.
    lock.exec("BEGIN EXCLUSIVE; COMMIT");
  } catch (error) {
    lock?.close();
    if ((error as { code?: string }).code === "SQLITE_BUSY") {
      throw new Error(
        `another Steward is running on ${file} (it holds ${path}): stop it first. One process serves a SQLite file; several need PostgreSQL (README: "Several processes on PostgreSQL")`,
      );
    }
    // As opening the database itself would say.
    throw cannotOpenSqlite(file, error);
  }
  const held = lock;
  return { release: () => held.close() };
}

/** A SQLite path that cannot be opened, named as the setting to change. */
export function cannotOpenSqlite(path: string, error: unknown): Error {
  return new Error(`STEWARD_DB: cannot open ${path} (${(error as Error).message})`);
}
