#!/usr/bin/env node
// Keeps package-lock.json complete for `npm ci` on every platform: each optional platform
// package (esbuild, rollup, biome…) needs its own entry with `os`/`cpu`/`libc`, so npm installs
// only the one that fits, and `integrity`, so what it installs is checked. A registry that
// serves only this platform's packages makes `npm install` leave the others out (and `npm ci`
// then refuses the lockfile); an older version of this script filled them in as bare
// `{ version }` entries, which npm installs everywhere, unchecked (800 MB of other platforms'
// binaries). This replaces such entries: npm resolves them first; what it still leaves out is
// completed from the package's own manifest in the registry. Run it after changing dependencies.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

const root = new URL("..", import.meta.url);
const file = new URL("package-lock.json", root);
const read = () => JSON.parse(readFileSync(file, "utf8"));
const write = (lock) => writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
const incomplete = (path, entry) => path !== "" && !entry.link && !entry.integrity;

// 1. Bare entries out, then npm resolves what it can, as it would for a new dependency.
let lock = read();
const bare = Object.keys(lock.packages).filter((path) => incomplete(path, lock.packages[path]));
for (const path of bare) delete lock.packages[path];
write(lock);
execFileSync(
  "npm",
  ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"],
  {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  },
);

// 2. Optional dependencies npm still left out: from their manifests.
lock = read();
const registry = execFileSync("npm", ["config", "get", "registry"], { encoding: "utf8" })
  .trim()
  .replace(/\/?$/, "/");
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${path === "" ? "" : `${path}/`}node_modules/${name}`;
    if (lock.packages[nested] || lock.packages[`node_modules/${name}`]) continue;
    const version = range.replace(/^[\^~=]/, "");
    const response = await fetch(`${registry}${name.replace("/", "%2f")}/${version}`);
    if (!response.ok)
      throw new Error(`${name}@${version}: the registry answered ${response.status}`);
    const manifest = await response.json();
    lock.packages[`node_modules/${name}`] = {
      version: manifest.version,
      resolved: manifest.dist.tarball,
      integrity: manifest.dist.integrity,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      ...(manifest.os ? { os: manifest.os } : {}),
      ...(manifest.cpu ? { cpu: manifest.cpu } : {}),
      ...(manifest.libc ? { libc: manifest.libc } : {}),
    };
    added++;
  }
}
write(lock);

// 3. Nothing installs unchecked.
const unchecked = Object.entries(lock.packages).filter(([path, entry]) => incomplete(path, entry));
console.log(
  `package-lock.json: ${bare.length} bare entries resolved again, ${added} completed from the registry`,
);
if (unchecked.length > 0) {
  console.error(`without integrity: ${unchecked.map(([path]) => path).join(", ")}`);
  process.exit(1);
}
