/**
 * The checks across a config's parts (a category's worker exists, exactly one catch-all…).
 * They read the file as written, shape unchecked, so they run even when the schema has found
 * problems elsewhere: one `check-config` run reports every problem, not the first kind only.
 */

export interface ReferenceIssue {
  path: (string | number)[];
  message: string;
}

type Loose = Record<string, unknown>;

const mapping = (value: unknown): Loose =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Loose) : {};
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const text = (value: unknown): string | undefined =>
  typeof value === "string" ? value : undefined;

export function referenceIssues(input: unknown): ReferenceIssue[] {
  const config = mapping(input);
  const issues: ReferenceIssue[] = [];
  const workers = Object.keys(mapping(config.workers));
  const categories = list(config.categories).map(mapping);
  const names = categories.map((category) => text(category.name)).filter((n) => n !== undefined);
  const seen = new Set<string>();
  categories.forEach((category, index) => {
    const at = (...rest: (string | number)[]) => ["categories", index, ...rest];
    const name = text(category.name);
    if (name !== undefined && seen.has(name)) {
      issues.push({ path: at("name"), message: `duplicate category name "${name}"` });
    }
    if (name !== undefined) seen.add(name);
    const worker = text(category.worker);
    if (category.worker === undefined && category.catch_all !== true) {
      issues.push({ path: at("worker"), message: "expected the name of a worker" });
    }
    if (worker !== undefined && !workers.includes(worker)) {
      issues.push({ path: at("worker"), message: missing("worker", worker, workers) });
    }
    const reviewer = text(mapping(category.review).reviewer);
    if (reviewer !== undefined && !workers.includes(reviewer)) {
      issues.push({
        path: at("review", "reviewer"),
        message: missing("worker", reviewer, workers),
      });
    }
    const then = text(category.then);
    if (then !== undefined && !names.includes(then)) {
      issues.push({ path: at("then"), message: missing("category", then, names) });
    }
  });
  const catchAlls = categories.filter((category) => category.catch_all === true).length;
  if (catchAlls !== 1) {
    issues.push({
      path: ["categories"],
      message: `expected exactly one category with catch_all: true, found ${catchAlls}`,
    });
  }
  const classifier = mapping(mapping(config.intake).classifier);
  const classifierWorker = text(classifier.worker);
  if (classifier.kind === "llm" && classifierWorker !== undefined) {
    if (!workers.includes(classifierWorker)) {
      issues.push({
        path: ["intake", "classifier", "worker"],
        message: missing("worker", classifierWorker, workers),
      });
    }
  }
  const agentWorker = text(mapping(mapping(config.intake).agent).worker);
  if (agentWorker !== undefined) {
    const kind = mapping(mapping(config.workers)[agentWorker]).kind;
    if (!workers.includes(agentWorker)) {
      issues.push({
        path: ["intake", "agent", "worker"],
        message: missing("worker", agentWorker, workers),
      });
    } else if (kind !== "llm") {
      issues.push({
        path: ["intake", "agent", "worker"],
        message: `worker "${agentWorker}" is kind ${String(kind)}; the intake agent needs an llm worker`,
      });
    }
  }
  const schedules = new Set<string>();
  list(config.schedules)
    .map(mapping)
    .forEach((schedule, index) => {
      const name = text(schedule.name);
      if (name !== undefined && schedules.has(name)) {
        issues.push({
          path: ["schedules", index, "name"],
          message: `duplicate schedule name "${name}"`,
        });
      }
      if (name !== undefined) schedules.add(name);
      const category = text(schedule.category);
      if (category !== undefined && !names.includes(category)) {
        issues.push({
          path: ["schedules", index, "category"],
          message: missing("category", category, names),
        });
      }
    });
  for (const [webhook, settings] of Object.entries(mapping(config.webhooks))) {
    const category = text(mapping(settings).category);
    if (category !== undefined && !names.includes(category)) {
      issues.push({
        path: ["webhooks", webhook, "category"],
        message: missing("category", category, names),
      });
    }
  }
  return issues;
}

function missing(kind: string, value: string, known: string[]): string {
  return `no ${kind} named "${value}" (known: ${known.join(", ") || "none"})`;
}
