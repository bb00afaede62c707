import { constants } from "node:fs";
import { lstat, mkdir, open, realpath } from "node:fs/promises";
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { RefusedDestination } from "./refused.js";

/** Created, never followed, never an existing file: a symlink or another task's file stays as it is. */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Writes `text` to `path` below `dir` and returns the path it used, relative to `dir`. The
 * real location of the folder it lands in must stay inside the real `dir` (a symlinked folder
 * cannot lead out), and the file is always new: when the name is taken (a symlink, another
 * task's output) it becomes `name.<suffix>.ext` instead.
 */
export async function writeNewFile(
  dir: string,
  path: string,
  text: string,
  suffix: string,
): Promise<string> {
  const base = resolve(dir);
  const target = resolve(base, path.replace(/^~\//, ""));
  if (!isInside(base, target)) throw new RefusedDestination(`${path} is outside ${dir}`);
  await mkdir(base, { recursive: true });
  const realBase = await realpath(base);
  const folder = dirname(target);
  // Checked before mkdir, which would otherwise create folders wherever a symlink points.
  await ensureInside(realBase, await deepestExisting(folder), path, dir);
  await mkdir(folder, { recursive: true });
  await ensureInside(realBase, folder, path, dir);
  for (const name of [target, withSuffix(target, suffix)]) {
    try {
      const file = await open(name, CREATE_NEW, 0o644);
      try {
        await file.writeFile(text);
      } finally {
        await file.close();
      }
      return relative(base, name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  throw new RefusedDestination(
    `${path} and ${relative(base, withSuffix(target, suffix))} already exist in ${dir}; neither is replaced`,
  );
}

function isInside(base: string, target: string): boolean {
  const inside = relative(base, target);
  return inside !== "" && !inside.startsWith(`..${sep}`) && inside !== ".." && !isAbsolute(inside);
}

async function ensureInside(realBase: string, folder: string, path: string, dir: string) {
  const real = await realpath(folder).catch(() => undefined);
  if (real === undefined) throw new RefusedDestination(`${path} leads through a broken link`);
  if (real !== realBase && !isInside(realBase, real)) {
    throw new RefusedDestination(`${path} leads outside ${dir} (through a symbolic link)`);
  }
}

async function deepestExisting(folder: string): Promise<string> {
  let current = folder;
  for (;;) {
    try {
      await lstat(current);
      return current;
    } catch {
      const parent = dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

/** `reports/weekly.md` → `reports/weekly.T-13.md`. */
function withSuffix(path: string, suffix: string): string {
  const ext = extname(path);
  return join(dirname(path), `${basename(path, ext)}.${suffix}${ext}`);
}
