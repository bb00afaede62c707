#!/usr/bin/env node
// Runs the compiled code in dist/ (`npm run build`; `npm ci` builds it through `prepare`).
// STEWARD_FROM_SOURCE=1 runs the TypeScript sources through tsx instead: the tests set it, so
// they never test a stale build.
import { existsSync } from "node:fs";

if (process.env.STEWARD_FROM_SOURCE === "1") {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli.ts");
} else {
  const cli = new URL("../dist/src/cli.js", import.meta.url);
  if (!existsSync(cli)) {
    console.error("steward: dist/ is missing: run `npm run build` (npm ci does it) first");
    process.exit(1);
  }
  await import(cli.href);
}
