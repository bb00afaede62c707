/**
 * The README's transcripts are run and compared with what the program prints now, so an
 * example cannot drift from the program again. A line `…` in a transcript stands for any
 * number of lines; every other line must be printed as shown, in order, one after another
 * (a progress line such as `  T-1 running (attempt 1)` may fall between: that is timing).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { tempDir } from "../../helpers.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const STEWARD = [process.execPath, join(ROOT, "bin/steward.js")];

interface Block {
  lang: string;
  lines: string[];
}

/** The README's fenced blocks, in order. */
function readmeBlocks(): Block[] {
  const blocks: Block[] = [];
  let open: Block | undefined;
  for (const line of readFileSync(join(ROOT, "README.md"), "utf8").split("\n")) {
    const fence = /^```(\S*)\s*$/.exec(line);
    if (fence !== null && open === undefined) open = { lang: fence[1] ?? "", lines: [] };
    else if (fence !== null && open !== undefined) {
      blocks.push(open);
      open = undefined;
    } else open?.lines.push(line);
  }
  return blocks;
}

const blocks = readmeBlocks();

function blockWith(text: string, lang?: string): Block {
  const found = blocks.find(
    (block) => (lang === undefined || block.lang === lang) && block.lines.join("\n").includes(text),
  );
  if (found === undefined) throw new Error(`README.md has no block with "${text}"`);
  return found;
}

/** Runs Steward as the README's reader would: a fresh database, the default config. */
function steward(args: readonly string[], input = "", cwd = ROOT): string {
  const dir = tempDir();
  const run = spawnSync(STEWARD[0]!, [STEWARD[1]!, ...args], {
    cwd,
    input,
    encoding: "utf8",
    env: {
      ...process.env,
      STEWARD_DB: join(dir, "steward.db"),
      STEWARD_CONFIG: join(ROOT, "config/steward.yaml"),
      STEWARD_HTTP_PORT: "0",
      DISCORD_TOKEN: "",
    },
    timeout: 60_000,
  });
  return `${run.stdout}${run.stderr.includes("invalid configuration") ? run.stderr : ""}`;
}

const isGap = (line: string) => line.trim() === "…";
/** Progress lines print when a worker gets to it, so where they fall is timing, not content. */
const isProgress = (line: string | undefined) =>
  line !== undefined && /^ {2}T-\d+ (running \(attempt \d+\)|done)$/.test(line);

/** Where `segment` ends if it is printed from `index` on (unshown progress lines skipped). */
function matchAt(lines: readonly string[], index: number, segment: readonly string[]): number {
  let at = index;
  for (const [offset, wanted] of segment.entries()) {
    while (offset > 0 && lines[at] !== wanted && isProgress(lines[at])) at++;
    if (lines[at] !== wanted) return -1;
    at++;
  }
  return at;
}

/** `expected` found in `actual` as shown: consecutive lines, with gaps only at `…`. */
function expectTranscript(actual: string, expected: readonly string[]): void {
  const lines = actual.split("\n").map((line) => line.trimEnd());
  const segments: string[][] = [[]];
  for (const line of expected) {
    if (isGap(line)) segments.push([]);
    else segments.at(-1)!.push(line.trimEnd());
  }
  let cursor = 0;
  for (const segment of segments.filter((lines) => lines.length > 0)) {
    let end = -1;
    const start = lines.findIndex((_line, index) => {
      if (index < cursor) return false;
      end = matchAt(lines, index, segment);
      return end !== -1;
    });
    expect(
      start,
      `these README lines, in a row:\n${segment.join("\n")}\n\nin:\n${actual}`,
    ).not.toBe(-1);
    cursor = end;
  }
}

describe("the README's transcripts", () => {
  it("the first session prints what the README shows", () => {
    const session = blockWith("steward> banana purple elephant", "text").lines;
    const typed = session
      .filter((line) => line.startsWith("steward> "))
      .map((line) => line.slice(9));
    const printed = session.filter((line) => !line.startsWith("steward> "));
    expectTranscript(steward(["console"], `${typed.join("\n")}\n`), printed);
  }, 60_000);

  it("the scripted console prints what the README shows", () => {
    const script = blockWith("| STEWARD_DB=/tmp/demo.db npx steward console", "sh").lines.join(
      "\n",
    );
    const input = /printf '([^']*)'/.exec(script)?.[1];
    if (input === undefined) throw new Error("the scripting example has no printf '…' input");
    const shown = blocks[blocks.findIndex((block) => block.lines.join("\n").includes(script)) + 1];
    expectTranscript(steward(["console"], input.replace(/\\n/g, "\n")), shown?.lines ?? []);
  }, 60_000);

  it("every `$ npx steward …` example prints what the README shows", () => {
    const examples = blocks.filter((block) => block.lang === "console");
    expect(examples.length).toBeGreaterThan(0);
    for (const block of examples) {
      const command = block.lines[0] ?? "";
      const args = /^\$ npx steward (.*)$/.exec(command)?.[1];
      if (args === undefined) throw new Error(`not a steward command: ${command}`);
      const argv = [...args.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2]!);
      expectTranscript(steward(argv), block.lines.slice(1));
    }
  }, 60_000);

  it("check-config names every problem as the README shows", () => {
    const shown = blockWith("config/steward.yaml: invalid configuration").lines;
    // The three mistakes the example is about, made in a copy of the default config.
    const config = parse(readFileSync(join(ROOT, "config/steward.yaml"), "utf8"));
    config.categories[2].limits.stall.running = "soon";
    config.categories[3].worker = "researcher";
    config.categories[0].colour = "blue";
    const dir = tempDir();
    mkdirSync(join(dir, "config"));
    writeFileSync(join(dir, "config/steward.yaml"), stringify(config));
    const printed = steward(["check-config", "config/steward.yaml"], "", dir);
    expect(printed.trimEnd().split("\n").sort()).toEqual([...shown].sort());
    expectTranscript(printed, shown);
  }, 60_000);
});
