import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

// The rooms of the source tree and what each may not import (issue 19). The import graph has no
// circles; the domain imports neither an adapter, a worker implementation, the database nor the
// engine that wires them; the engine (the application layer) may use the domain, src/db and
// src/workers, never an adapter; storage and workers serve the engine and never call back into it;
// adapters (src/adapters/, commands/) reach storage only through the engine, never src/db.

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const DOMAIN = [
  "src/core/",
  "src/config/",
  "src/intake/",
  "src/routing/",
  "src/policy/",
  "src/monitor/",
  "src/escalation/",
  "src/review/",
];
const ADAPTERS = ["src/adapters/", "commands/", "src/main.ts", "src/cli.ts"];

/** Each room, by path prefix, and the rooms it must not import. */
const FORBIDDEN: { room: string[]; mayNotImport: string[] }[] = [
  { room: DOMAIN, mayNotImport: [...ADAPTERS, "src/workers/", "src/db/", "src/engine/"] },
  { room: ["src/engine/"], mayNotImport: ADAPTERS },
  { room: ["src/db/", "src/workers/"], mayNotImport: [...ADAPTERS, "src/engine/"] },
  // The engine owns storage: an adapter reads and writes through it, never a store or a table.
  { room: ["src/adapters/", "commands/"], mayNotImport: ["src/db/"] },
];

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) files.push(...sourceFiles(path));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) files.push(path);
  }
  return files;
}

/** A relative specifier as the file it names (`./x.js` is `./x.ts` in the sources). */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = join(dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, ".ts"), base, `${base}.ts`, join(base, "index.ts")];
  return candidates.find((path) => existsSync(join(root, path)));
}

/**
 * Every file each source file imports, statically, by `export … from` or by `import()`.
 * Type-only imports count too: a circle through types is still a circle a reader must untangle.
 */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of [...sourceFiles("src"), ...sourceFiles("commands")]) {
    const info = ts.preProcessFile(readFileSync(join(root, file), "utf8"), true, true);
    const targets = info.importedFiles
      .map((imported) => resolveSpecifier(file, imported.fileName))
      .filter((target): target is string => target !== undefined);
    graph.set(file, [...new Set(targets)].sort());
  }
  return graph;
}

/** Tarjan's strongly connected components with more than one file (or a file importing itself). */
function circles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next);
    next += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || (graph.get(file) ?? []).includes(file)) {
        found.push(component.sort());
      }
    }
  };
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) visit(file);
  return found;
}

/** The imports inside one component, as `a.ts → b.ts`: the edges to cut to break it. */
function edgesWithin(graph: Map<string, string[]>, component: string[]): string[] {
  const members = new Set(component);
  return component.flatMap((file) =>
    (graph.get(file) ?? []).filter((target) => members.has(target)).map((t) => `${file} → ${t}`),
  );
}

function roomViolations(graph: Map<string, string[]>): string[] {
  const inside = (path: string, rooms: string[]) => rooms.some((room) => path.startsWith(room));
  const violations: string[] = [];
  for (const [file, targets] of graph) {
    for (const { room, mayNotImport } of FORBIDDEN) {
      if (!inside(file, room)) continue;
      for (const target of targets) {
        if (inside(target, mayNotImport)) violations.push(`${file} → ${target}`);
      }
    }
  }
  return violations.sort();
}

describe("the import graph", () => {
  const graph = importGraph();

  it("reads the sources it is meant to guard", () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get("src/engine/engine.ts")?.length).toBeGreaterThan(0);
  });

  it("has no circles", () => {
    const found = circles(graph).map((component) => edgesWithin(graph, component).join("\n"));
    expect(found).toEqual([]);
  });

  it("keeps each room to what it may import: the domain free of adapters, workers and the database", () => {
    expect(roomViolations(graph)).toEqual([]);
  });
});
