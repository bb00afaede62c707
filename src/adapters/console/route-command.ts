import { readFileSync } from "node:fs";
import type { Settings } from "../../config/env.js";
import type { Config } from "../../config/schema.js";
import { BRIEF_FIELD_LABELS, type BriefField } from "../../core/brief.js";
import type { Engine } from "../../engine/engine.js";
import { withEngine } from "../../engine/open.js";
import { describeMissing } from "../../intake/describe.js";
import { createCategoryRouter } from "../../routing/classify.js";
import {
  type EvalReport,
  type IntakeOutcome,
  type LabelledRequest,
  parseLabelled,
  proposeThreshold,
  type Scored,
  scoreRouting,
  thresholdCurve,
} from "../../routing/evaluate.js";
import { type Decided, decideAll, decideOutOfFold } from "../../routing/out-of-fold.js";

export interface RouteOptions {
  source: string;
  category?: string;
  json?: boolean;
  rulesOnly?: boolean;
  eval?: string;
  fit?: string;
  /** Fit the threshold on the corpus, each fifth decided by a classifier trained without it. */
  fitCorpus?: boolean;
  /** For --fit: the silent-misroute rate to stay under. */
  target?: number;
}

/**
 * `steward route`: the dry run of filing (routing, brief, outcome) for one request, or the same
 * over a labelled file (`--eval`), or the confidence threshold a labelled file supports (`--fit`).
 * Built on an engine that is never started: it reads the learned examples and writes nothing.
 */
export async function routeCommand(
  settings: Settings,
  config: Config,
  text: string | undefined,
  options: RouteOptions,
): Promise<void> {
  await withEngine(settings, config, async (engine) => {
    if (options.eval !== undefined) return await evaluate(engine, options.eval, options);
    if (options.fit !== undefined || options.fitCorpus)
      return fitThreshold(engine, await fitDecisions(engine, options), options);
    if (text === undefined || text.trim() === "") throw new Error("say what the request is");
    await dryRun(engine, text, options);
  });
}

async function dryRun(engine: Engine, text: string, options: RouteOptions): Promise<void> {
  const plan = await engine.plan(
    { source: options.source, requester: "cli", text, category: options.category },
    { rulesOnly: options.rulesOnly },
  );
  const { routing, next, missing, brief, filled } = plan;
  if (options.json) {
    console.log(
      JSON.stringify(
        { ...routing, filing: { state: next.state, missing, brief, filled } },
        null,
        2,
      ),
    );
    return;
  }
  console.log(`category:  ${routing.category}`);
  console.log(`rule:      ${routing.rule} (score ${routing.score.toFixed(2)})`);
  if (routing.runner_up) {
    console.log(`runner-up: ${routing.runner_up.category} (${routing.runner_up.score.toFixed(2)})`);
  }
  console.log(`why:       ${routing.explanation}`);
  if (routing.fallback) console.log(`fallback:  ${routing.fallback}`);
  for (const [field, source] of Object.entries(filled)) {
    console.log(
      `filled:    ${BRIEF_FIELD_LABELS[field as BriefField].toLowerCase()} from ${source}`,
    );
  }
  console.log(`filing:    ${describeOutcome(next.state, missing)}`);
}

function describeOutcome(state: string, missing: readonly string[]): string {
  if (state === "queued") return "queued for a worker, nobody involved";
  if (state === "escalated") return "escalated to an operator (fits no category)";
  return `asks the requester for ${describeMissing(missing as never)}`;
}

async function evaluate(engine: Engine, file: string, options: RouteOptions): Promise<void> {
  const requests = readLabelled(file);
  const catchAll = catchAllOf(engine.config);
  const scored: Scored[] = [];
  for (const request of requests) {
    const plan = await engine.plan(
      { source: options.source, requester: "eval", text: request.text },
      { rulesOnly: options.rulesOnly },
    );
    scored.push({
      request,
      routed: plan.routing.category,
      outcome: plan.next.state as IntakeOutcome,
      confidence: plan.routing.score,
    });
  }
  const report = scoreRouting(scored, catchAll);
  if (options.json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  console.log(renderReport(file, report, engine.config));
}

/** The labelled file's requests, or the corpus's out of fold, decided with no threshold. */
async function fitDecisions(engine: Engine, options: RouteOptions): Promise<Decided[]> {
  const { config } = engine;
  const learned = await engine.learning.examples();
  if (options.fit === undefined) {
    if (config.corpus === undefined || config.corpus.length === 0)
      throw new Error("--fit-corpus needs a corpus to fit on (intake.classifier.corpus)");
    return decideOutOfFold(config.categories, config.corpus, { learned, source: options.source });
  }
  const router = createCategoryRouter(config.categories, {
    minConfidence: 0,
    learned,
    corpus: config.corpus,
  });
  return decideAll(router, readLabelled(options.fit), options.source);
}

function fitThreshold(engine: Engine, decided: readonly Decided[], options: RouteOptions): void {
  const { config } = engine;
  const catchAll = catchAllOf(config);
  // Proposed from a fine grid, shown every 0.05 (and the proposal) so the table stays readable.
  const thresholds = Array.from({ length: 81 }, (_, step) => (10 + step) / 100);
  const curve = thresholdCurve(decided, catchAll, thresholds);
  const target = options.target ?? 0.03;
  const proposal = proposeThreshold(curve, target);
  if (options.json) {
    console.log(JSON.stringify({ target, proposal, curve }, null, 2));
    return;
  }
  const what = options.fit === undefined ? "corpus requests, each fifth out of fold" : "requests";
  console.log(`${decided.length} ${what}; what each threshold would do:`);
  console.log("threshold  routed right  silent misroutes  to the catch-all");
  const shown = curve.filter(
    (point) => point === proposal || Math.round(point.threshold * 100) % 5 === 0,
  );
  for (const point of shown) {
    const mark = point === proposal ? "  ← proposed" : "";
    console.log(
      `${point.threshold.toFixed(2).padStart(9)}  ${percent(point.routedRight).padStart(12)}` +
        `  ${percent(point.silentMisroutes).padStart(16)}  ${percent(point.catchAll).padStart(16)}${mark}`,
    );
  }
  const now = config.intake.classifier.min_confidence;
  console.log(
    proposal === undefined
      ? `no threshold keeps silent misroutes under ${percent(target)}: add examples or rules`
      : `proposed: intake.classifier.min_confidence: ${proposal.threshold.toFixed(2)} (now ${now}):` +
          ` silent misroutes ${percent(proposal.silentMisroutes)} ≤ ${percent(target)},` +
          ` ${percent(proposal.routedRight)} of routable requests routed right`,
  );
}

function renderReport(file: string, report: EvalReport, config: Config): string {
  const names = config.categories.map((category) => category.name);
  const lines = [
    `${file}: ${report.total} requests, ${report.routable} for a category`,
    `  touch-free          ${percent(report.touchFree).padStart(6)}  of routable: right worker, nobody involved`,
    `  accuracy            ${percent(report.accuracy).padStart(6)}  of all: routed to the labelled category`,
    `  silent misroutes    ${percent(report.silentMisroutes).padStart(6)}  of all: queued in a wrong category`,
    `  to the catch-all    ${percent(report.catchAll).padStart(6)}  of routable: a person decides`,
    `  clarification       ${percent(report.clarification).padStart(6)}  of routable: the requester is asked`,
    `  nonsense escalated  ${percent(report.nonsenseEscalated).padStart(6)}  of the catch-all's`,
    "",
    "confusion (rows: labelled, columns: routed)",
    `${"".padEnd(12)}${names.map((name) => name.slice(0, 8).padStart(9)).join("")}`,
  ];
  for (const labelled of names) {
    const row = report.confusion[labelled];
    if (row === undefined) continue;
    lines.push(
      `${labelled.padEnd(12)}${names.map((name) => String(row[name] ?? 0).padStart(9)).join("")}`,
    );
  }
  return lines.join("\n");
}

function readLabelled(file: string): LabelledRequest[] {
  return parseLabelled(readFileSync(file, "utf8"), file);
}

function catchAllOf(config: Config): string {
  return config.categories.find((category) => category.catch_all)!.name;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}
