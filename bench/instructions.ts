/**
 * Instructions a task of the process phase (bench/process-phase.ts), counted by valgrind: a
 * figure the host's noise does not move, for comparing engines where CPU time swings by a third
 * from one run to the next (docs/performance.md).
 *
 *   npx tsx bench/instructions.ts [--tree DIR]... [--concurrency 1,8] [--n 1000,11000] [--unconfirmed]
 *
 * Each tree (`--tree`, once per checkout: this one and, say, a worktree of an older commit with
 * this bench's process-phase.ts and support/ copied in; this checkout alone by default) has its process-phase.ts
 * bundled (see `bundle`) and run under `valgrind --tool=cachegrind --cache-sim=no`, with
 * `node --predictable` (V8's collector on the main thread and its heuristics fixed, so a run's
 * count repeats within a few tenths of a percent at C=8; at C=1, where the passes' bursts follow
 * wall time, within about 4 %: docs/performance.md, session 24), at two N. The difference of the two counts
 * over the difference of the N is what one more task costs: the start-up (opening the database,
 * training the classifier on the first request) cancels out. Everything the process runs is
 * counted, the collector and the checkpoint thread included. Other load on the host changes
 * how long a run takes, not its count.
 *
 * Runs go two at a time (two cores); each takes a few minutes, most of it the start-up under
 * valgrind. Needs valgrind (Debian: `apt-get install valgrind`).
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";

const run = promisify(execFile);
const HERE = resolve(dirname(fileURLToPath(import.meta.url)), "..");

interface Options {
  trees: string[];
  concurrency: number[];
  n: [number, number];
  unconfirmed: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    trees: [],
    concurrency: [1, 8],
    n: [1_000, 11_000],
    unconfirmed: false,
  };
  const numbers = (value: string | undefined) =>
    (value ?? "").split(",").map((part) => Number(part.replaceAll("_", "")));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === "--unconfirmed") {
      options.unconfirmed = true;
      continue;
    }
    if (arg === "--tree") options.trees.push(resolve(value ?? ""));
    else if (arg === "--concurrency") {
      options.concurrency = numbers(value);
      if (!options.concurrency.every((c) => Number.isInteger(c) && c > 0))
        throw new Error("--concurrency takes whole numbers above 0, such as 1,8");
    } else if (arg === "--n") {
      const [small, large] = numbers(value);
      if (!(small! > 0 && large! > small!))
        throw new Error("--n takes two sizes, the smaller first");
      options.n = [small!, large!];
    } else throw new Error(`unknown argument ${arg}`);
    i++;
  }
  if (options.trees.length === 0) options.trees.push(HERE);
  return options;
}

/**
 * The tree's process phase as one script, bundled as tsx compiles it (names kept), in a folder of
 * its own at the tree's top (its config and package are found from there) with the checkpoint
 * thread's script beside it. Run through tsx instead, the counts of one tree swing by a tenth
 * from run to run; bundled, by a few tenths of a percent.
 */
async function bundle(tree: string): Promise<{ script: string; dir: string }> {
  const dir = mkdtempSync(join(tree, ".bench-instructions-"));
  const script = join(dir, "process-phase.mjs");
  await build({
    entryPoints: [join(tree, "bench/process-phase.ts")],
    outfile: script,
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    keepNames: true,
    logLevel: "warning",
  });
  copyFileSync(join(tree, "src/db/checkpoint-thread.js"), join(dir, "checkpoint-thread.js"));
  return { script, dir };
}

/** Instructions of one whole run of the bundled process phase. */
async function count(script: string, n: number, concurrency: number, extra: string[]) {
  const { stderr } = await valgrind(
    [
      "--tool=cachegrind",
      "--cache-sim=no",
      "--cachegrind-out-file=/dev/null",
      process.execPath,
      "--predictable",
      script,
      "--n",
      String(n),
      "--concurrency",
      String(concurrency),
      ...extra,
    ],
    { cwd: dirname(script), maxBuffer: 16 * 1024 * 1024 },
  );
  const refs = /I\s+refs:\s+([\d,]+)/.exec(stderr);
  if (refs === null) throw new Error(`no instruction count in valgrind's output:\n${stderr}`);
  return Number(refs[1]!.replaceAll(",", ""));
}

/** valgrind with `args`; a missing valgrind is said plainly. */
async function valgrind(args: string[], options: { cwd: string; maxBuffer: number }) {
  try {
    return await run("valgrind", args, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      throw new Error("valgrind is not installed (Debian: apt-get install valgrind)");
    throw error;
  }
}

/** Runs `jobs` at most `width` at a time. */
async function inTurns<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const index = next++;
      results[index] = await jobs[index]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, lane));
  return results;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const extra = options.unconfirmed ? ["--unconfirmed"] : [];
  const bundles = await Promise.all(options.trees.map(bundle));
  try {
    const cases = options.trees.flatMap((tree, index) =>
      options.concurrency.map((concurrency) => ({
        tree,
        script: bundles[index]!.script,
        concurrency,
      })),
    );
    const [small, large] = options.n;
    const jobs = cases.flatMap(({ script, concurrency }) => [
      () => count(script, small, concurrency, extra),
      () => count(script, large, concurrency, extra),
    ]);
    const counts = await inTurns(jobs, Math.max(1, Math.min(2, cpus().length)));
    console.log(
      `instructions a task, process phase (N=${small} and N=${large}, node ${process.version} --predictable${
        options.unconfirmed ? ", --unconfirmed" : ""
      }):`,
    );
    for (const [index, { tree, concurrency }] of cases.entries()) {
      const perTask = (counts[2 * index + 1]! - counts[2 * index]!) / (large - small);
      const whole = [counts[2 * index]!, counts[2 * index + 1]!].map((c) =>
        c.toLocaleString("en-US"),
      );
      console.log(
        `  ${tree} C=${concurrency}: ${Math.round(perTask).toLocaleString("en-US")}` +
          `  (whole runs ${whole.join(" and ")})`,
      );
    }
  } finally {
    for (const { dir } of bundles) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
