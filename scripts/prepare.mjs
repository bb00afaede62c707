#!/usr/bin/env node
// `npm ci` / `npm install` run this (`prepare`): build dist/ so `npm start` and the `steward`
// bin run compiled code on a fresh clone. An install without dev dependencies has no
// TypeScript: then a dist/ built elsewhere (a container's build stage) is used as it is.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
} catch {
  const built = existsSync(new URL("../dist/src/cli.js", import.meta.url));
  console.warn(
    built
      ? "prepare: TypeScript is not installed (dev dependencies omitted); using the dist/ present"
      : "prepare: TypeScript is not installed and dist/ is missing: build with dev dependencies (npm ci && npm run build), then copy dist/",
  );
  process.exit(0);
}
const build = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], {
  cwd: new URL("..", import.meta.url),
  stdio: "inherit",
});
process.exit(build.status ?? 1);
