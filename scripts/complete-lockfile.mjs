#!/usr/bin/env node
// The registry this project is built against serves only the packages for this platform, so
// `npm install` leaves other platforms' optional binaries (esbuild, rollup, biome…) out of
// package-lock.json, and `npm ci` then refuses the lockfile as out of sync. This adds each
// missing optional dependency as a version-only entry: npm skips it where it does not fit and
// resolves it by version where it does. Run it after changing dependencies.
import { readFileSync, writeFileSync } from "node:fs";

const file = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(file, "utf8"));
const packages = lock.packages;
let added = 0;
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${path === "" ? "" : `${path}/`}node_modules/${name}`;
    if (packages[nested] || packages[`node_modules/${name}`]) continue;
    packages[`node_modules/${name}`] = { version: range.replace(/^[\^~=]/, ""), optional: true };
    added++;
  }
}
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} optional platform entries added`);
