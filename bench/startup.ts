/**
 * Start-up cost of the command line and of the service, compiled (dist/, plain node) against
 * the TypeScript sources through tsx (what the bin ran before the build), side by side in one
 * run: time until `steward status` has answered, time until `steward serve` logs that it has
 * started (HTTP bound, scheduler ticking), and its resident memory once idle.
 * Run: `npm run build && npx tsx bench/startup.ts`.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const RUNS = 7;
const IDLE_MS = 3000;

const VARIANTS = {
  compiled: { STEWARD_FROM_SOURCE: "" },
  tsx: { STEWARD_FROM_SOURCE: "1" },
} as const;
type Variant = keyof typeof VARIANTS;

if (!existsSync(join(ROOT, "dist/src/cli.js"))) {
  console.error("dist/ is missing: run `npm run build` first");
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), "steward-startup-"));
const baseEnv: NodeJS.ProcessEnv = {
  ...process.env,
  STEWARD_DB: join(dir, "steward.db"),
  STEWARD_HTTP_PORT: "0",
  LOG_FORMAT: "json",
};
delete baseEnv.DISCORD_TOKEN;
const bin = join(ROOT, "bin/steward.js");
// The database exists before any run: start-up cost, not first-run migrations.
execFileSync(process.execPath, [bin, "migrate"], { env: { ...baseEnv, ...VARIANTS.compiled } });

function statusMs(variant: Variant): number {
  const start = performance.now();
  execFileSync(process.execPath, [bin, "status"], {
    env: { ...baseEnv, ...VARIANTS[variant] },
    stdio: "pipe",
  });
  return performance.now() - start;
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kib / 1024;
}

/** Spawns `serve`, times its "steward started" line, reads its RSS after IDLE_MS, stops it. */
function serve(variant: Variant): Promise<{ readyMs: number; rss: number }> {
  return new Promise((done, fail) => {
    const start = performance.now();
    const child = spawn(process.execPath, [bin, "serve"], {
      env: { ...baseEnv, ...VARIANTS[variant] },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let log = "";
    let readyMs: number | undefined;
    child.stderr.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      if (readyMs !== undefined || !log.includes('"msg":"steward started"')) return;
      readyMs = performance.now() - start;
      setTimeout(() => {
        const rss = rssMiB(child.pid!);
        child.kill("SIGTERM");
        child.once("exit", (code) =>
          code === 0 ? done({ readyMs: readyMs!, rss }) : fail(new Error(`exit ${code}`)),
        );
      }, IDLE_MS);
    });
    child.once("error", fail);
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

const results: Record<Variant, { status: number[]; ready: number[]; rss: number[] }> = {
  compiled: { status: [], ready: [], rss: [] },
  tsx: { status: [], ready: [], rss: [] },
};
// Interleaved, so a busy neighbour slows both alike.
for (let run = 0; run < RUNS; run++) {
  for (const variant of Object.keys(VARIANTS) as Variant[]) {
    results[variant].status.push(statusMs(variant));
    const { readyMs, rss } = await serve(variant);
    results[variant].ready.push(readyMs);
    results[variant].rss.push(rss);
  }
}
rmSync(dir, { recursive: true, force: true });

const load = loadavg()[0]!.toFixed(1);
console.log(
  `Node ${process.version}, ${cpus().length} cores, load ${load}; ${RUNS} runs each, medians (interleaved)\n`,
);
console.log("                                  compiled        tsx");
const row = (label: string, unit: string, pick: (v: Variant) => number) =>
  console.log(
    `${label.padEnd(32)} ${pick("compiled").toFixed(0).padStart(6)} ${unit}  ${pick("tsx").toFixed(0).padStart(6)} ${unit}`,
  );
row("steward status: answered", "ms", (v) => median(results[v].status));
row("steward serve: started", "ms", (v) => median(results[v].ready));
row(`steward serve: RSS idle ${IDLE_MS / 1000}s`, "MiB", (v) => median(results[v].rss));
