import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { configFingerprint } from "./fingerprint.js";
import { type LabelledRequest, readLabelledLines } from "./labelled.js";
import { type ReferenceIssue, referenceIssues } from "./references.js";
import { type Config, configSchema } from "./schema.js";

export const DEFAULT_CONFIG_PATH = "config/steward.yaml";

export type Env = Readonly<Record<string, string | undefined>>;

/** One problem in a config file, located by its path (`categories[2].limits.stall.running`). */
export interface ConfigProblem {
  path: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(`${file}: invalid configuration\n${problems.map(formatProblem).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function formatProblem(problem: ConfigProblem): string {
  return problem.path === "" ? `  ${problem.message}` : `  ${problem.path}: ${problem.message}`;
}

export function loadConfigFile(file: string, env: Env = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(file, [
      { path: "", message: `cannot read the file (${(error as Error).message})` },
    ]);
  }
  return parseConfig(text, file, env);
}

/** YAML text → a checked Config, or a ConfigError listing every problem. */
export function parseConfig(text: string, file: string, env: Env = process.env): Config {
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      file,
      document.errors.map((error) => ({
        path: "",
        message: describeYamlError(error.code, error.message),
      })),
    );
  }
  const problems: ConfigProblem[] = [];
  const written = expand(document, file);
  const raw = substituteEnv(written, [], env, problems);
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(file, [
      { path: "", message: "expected a mapping at the top of the file" },
    ]);
  }
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (!result.success) problems.push(...result.error.issues.map(toProblem));
  // The schema checks references only once the shapes are right; read them from the file
  // as written too, so one run names every problem.
  if (!result.success) problems.push(...referenceIssues(raw).map(toReferenceProblem));
  if (problems.length > 0 || !result.success) throw new ConfigError(file, unique(problems));
  const corpusPath = result.data.intake.classifier.corpus;
  if (corpusPath === undefined)
    return { ...result.data, fingerprint: configFingerprint(written, undefined) };
  const corpus = readCorpus(resolve(dirname(file), corpusPath), result.data, problems);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return { ...result.data, corpus, fingerprint: configFingerprint(written, corpus) };
}

/** The classifier's corpus; every bad line is a problem of `intake.classifier.corpus`. */
function readCorpus(
  path: string,
  config: Config,
  problems: ConfigProblem[],
): readonly LabelledRequest[] {
  const at = "intake.classifier.corpus";
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    problems.push({ path: at, message: `cannot read ${path} (${(error as Error).message})` });
    return [];
  }
  const { requests, lines, problems: bad } = readLabelledLines(text);
  const known = new Set(config.categories.map((category) => category.name));
  requests.forEach((request, index) => {
    if (!known.has(request.category))
      bad.push({
        line: lines[index]!,
        message: `category "${request.category}" is not configured`,
      });
  });
  bad.sort((a, b) => a.line - b.line);
  for (const problem of bad.slice(0, MAX_CORPUS_PROBLEMS))
    problems.push({ path: at, message: `${path}:${problem.line}: ${problem.message}` });
  if (bad.length > MAX_CORPUS_PROBLEMS)
    problems.push({ path: at, message: `… and ${bad.length - MAX_CORPUS_PROBLEMS} more problems` });
  return requests;
}

/** A corpus written for other categories would otherwise print a line per request. */
const MAX_CORPUS_PROBLEMS = 10;

/** The document as plain data; aliases that expand beyond reason (an alias bomb) are refused. */
function expand(document: ReturnType<typeof parseDocument>, file: string): unknown {
  try {
    return document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    throw new ConfigError(file, [
      {
        path: "",
        message: `YAML aliases expand too far (${(error as Error).message}); refused`,
      },
    ]);
  }
}

/** Far above what a hand-written config needs, far below what exhausts memory. */
const MAX_ALIAS_COUNT = 1000;

/** A reference problem the schema found as well is named once. */
function unique(problems: readonly ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = formatProblem(problem);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function toReferenceProblem(issue: ReferenceIssue): ConfigProblem {
  return { path: formatPath(issue.path), message: issue.message };
}

function describeYamlError(code: string, message: string): string {
  const firstLine = message.split("\n")[0] ?? message;
  return code === "DUPLICATE_KEY" ? `duplicate name: ${firstLine}` : `YAML syntax: ${firstLine}`;
}

const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** `${NAME}` and `${NAME:-default}` in any string value; an unset NAME without default is a problem. */
function substituteEnv(
  value: unknown,
  path: (string | number)[],
  env: Env,
  problems: ConfigProblem[],
): unknown {
  if (typeof value === "string") {
    return value.replace(
      ENV_REFERENCE,
      (_whole, variable: string, fallback: string | undefined) => {
        const found = env[variable];
        if (found !== undefined && found !== "") return found;
        if (fallback !== undefined) return fallback;
        problems.push({
          path: formatPath(path),
          message: `environment variable ${variable} is not set (write \${${variable}:-default} to make it optional)`,
        });
        return "";
      },
    );
  }
  if (Array.isArray(value))
    return value.map((item, index) => substituteEnv(item, [...path, index], env, problems));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        substituteEnv(item, [...path, key], env, problems),
      ]),
    );
  }
  return value;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) => {
      if (typeof segment === "number") return `[${segment}]`;
      const text = String(segment);
      return index === 0 ? text : `.${text}`;
    })
    .join("");
}

function toProblem(issue: z.core.$ZodIssue): ConfigProblem {
  const path = formatPath(issue.path);
  switch (issue.code) {
    case "unrecognized_keys":
      return {
        path,
        message: `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((key) => `"${key}"`).join(", ")}`,
      };
    case "invalid_type":
      return { path, message: `expected ${issue.expected}, got ${describeInput(issue.input)}` };
    case "invalid_value":
      return {
        path,
        message: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, got ${describeInput(issue.input)}`,
      };
    case "invalid_union":
      // A discriminated union's message already lists the kinds it knows.
      return {
        path,
        message: `${issue.message.replace(/^Invalid discriminator value\. /, "")}, got ${describeInput(discriminatorValue(issue))}`,
      };
    default:
      return { path, message: issue.message };
  }
}

/** For `workers.w.kind`, zod reports the whole worker as input; the kind is what was wrong. */
function discriminatorValue(issue: z.core.$ZodIssue): unknown {
  const key = issue.path.at(-1);
  const input = issue.input;
  if (input !== null && typeof input === "object" && typeof key === "string" && key in input) {
    return (input as Record<string, unknown>)[key];
  }
  return input;
}

function describeInput(input: unknown): string {
  if (input === undefined) return "nothing";
  if (input === null) return "null";
  if (Array.isArray(input)) return "a list";
  if (typeof input === "object") return "a mapping";
  if (typeof input === "string") return JSON.stringify(input);
  return `${typeof input} ${String(input)}`;
}
