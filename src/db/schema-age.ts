import { readMigrationFiles } from "drizzle-orm/migrator";

/**
 * The newest migration in `folder`, as drizzle records it once applied (`created_at`: the
 * migration's `when` in the journal, ms since the epoch).
 */
export function newestMigration(folder: string): number {
  let newest = newestIn.get(folder);
  if (newest === undefined) {
    const migrations = readMigrationFiles({ migrationsFolder: folder });
    newest = Math.max(0, ...migrations.map((migration) => migration.folderMillis));
    newestIn.set(folder, newest);
  }
  return newest;
}

/** Read once a process: the folders ship with the code. */
const newestIn = new Map<string, number>();

/**
 * Refuses a database whose newest applied migration this Steward does not have: a newer
 * version migrated it (another host upgraded first, or a backup restored under an older
 * install). drizzle's migrator would pass over it in silence, and this code would then read and
 * write a schema it does not know.
 */
export function refuseNewerSchema(
  where: string,
  applied: number | undefined,
  folder: string,
): void {
  const newer = newerSchema(where, applied, folder);
  if (newer !== undefined) throw newer;
}

/** What `refuseNewerSchema` throws, or undefined when this Steward knows the schema. */
export function newerSchema(
  where: string,
  applied: number | undefined,
  folder: string,
): Error | undefined {
  const known = newestMigration(folder);
  if (applied === undefined || applied <= known) return undefined;
  return new Error(
    `${where} was migrated by a newer Steward (its schema is of ${when(applied)}, this Steward's of ${when(known)}): run the same version of Steward on every host, or upgrade this one`,
  );
}

function when(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
