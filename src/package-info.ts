import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The package's own directory, found by walking up from this file: the same answer whether it
 * runs from `src/` through tsx or compiled from `dist/src/`.
 */
export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "drizzle"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json with drizzle/ above ${from}`);
  }
}

/** `version` from package.json, for `--version`, the start-up line and steward_build_info. */
export const VERSION: string = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }
).version;
