import { readFileSync } from "node:fs";
import { basename } from "node:path";
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
  proposeThresholdForEach,
  type Scored,
  scoreRouting,
  type ThresholdPoint,
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
  /**
   * Fit the threshold on the corpus, each fifth decided by a classifier trained without it: the
   * lowest at which every fifth stays under the target, and the `fit` file as well when named.
   */
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
    if (options.fitCorpus) {
      const file = options.fit === undefined ? undefined : await fitDecisions(engine, options);
      return fitCorpus(engine, await corpusDecisions(engine, options), file, options);
    }
    if (options.fit !== undefined)
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

/** The labelled file's requests decided with no threshold. */
async function fitDecisions(engine: Engine, options: RouteOptions): Promise<Decided[]> {
  const { config } = engine;
  const router = createCategoryRouter(config.categories, {
    minConfidence: 0,
    learned: await engine.learning.examples(),
    corpus: config.corpus,
  });
  return decideAll(router, readLabelled(options.fit!), options.source);
}

/** The corpus's requests decided with no threshold, each block out of fold. */
async function corpusDecisions(engine: Engine, options: RouteOptions): Promise<Decided[][]> {
  const { config } = engine;
  if (config.corpus === undefined || config.corpus.length === 0)
    throw new Error("--fit-corpus needs a corpus to fit on (intake.classifier.corpus)");
  const learned = await engine.learning.examples();
  return decideOutOfFold(config.categories, config.corpus, { learned, source: options.source });
}

/** Proposed from a fine grid, shown every 0.05 (and the proposal) so the table stays readable. */
const THRESHOLDS = Array.from({ length: 81 }, (_, step) => (10 + step) / 100);

function shownAt(curve: readonly ThresholdPoint[], proposed: number | undefined): number[] {
  return curve.flatMap((point, index) =>
    index === proposed || Math.round(point.threshold * 100) % 5 === 0 ? [index] : [],
  );
}

function tradeOffRow(point: ThresholdPoint): string {
  return (
    `${point.threshold.toFixed(2).padStart(9)}  ${percent(point.routedRight).padStart(12)}` +
    `  ${percent(point.silentMisroutes).padStart(16)}  ${percent(point.catchAll).padStart(16)}`
  );
}

function fitThreshold(engine: Engine, decided: readonly Decided[], options: RouteOptions): void {
  const { config } = engine;
  const curve = thresholdCurve(decided, catchAllOf(config), THRESHOLDS);
  const target = options.target ?? 0.03;
  const proposal = proposeThreshold(curve, target);
  if (options.json) {
    console.log(JSON.stringify({ target, proposal, curve }, null, 2));
    return;
  }
  console.log(`${decided.length} requests; what each threshold would do:`);
  console.log("threshold  routed right  silent misroutes  to the catch-all");
  const proposed = proposal === undefined ? undefined : curve.indexOf(proposal);
  for (const index of shownAt(curve, proposed))
    console.log(`${tradeOffRow(curve[index]!)}${index === proposed ? "  ← proposed" : ""}`);
  const now = config.intake.classifier.min_confidence;
  console.log(
    proposal === undefined
      ? `no threshold keeps silent misroutes under ${percent(target)}: add examples or rules`
      : `proposed: intake.classifier.min_confidence: ${proposal.threshold.toFixed(2)} (now ${now}):` +
          ` silent misroutes ${percent(proposal.silentMisroutes)} ≤ ${percent(target)},` +
          ` ${percent(proposal.routedRight)} of routable requests routed right`,
  );
}

/**
 * The corpus's trade-off: the folds pooled, and each fold's silent misroutes and routed right,
 * then the labelled file's when `--fit` names one beside `--fit-corpus`. The proposal is the
 * lowest threshold at which every fold (and the file) stays under the target, the rule the
 * default was chosen by: each block is a few businesses, and the threshold must hold for each.
 */
function fitCorpus(
  engine: Engine,
  folds: readonly Decided[][],
  file: readonly Decided[] | undefined,
  options: RouteOptions,
): void {
  const { config } = engine;
  const catchAll = catchAllOf(config);
  const pooled = thresholdCurve(folds.flat(), catchAll, THRESHOLDS);
  const sets = file === undefined ? folds : [...folds, file];
  const each = sets.map((set) => thresholdCurve(set, catchAll, THRESHOLDS));
  const target = options.target ?? 0.03;
  const proposed = proposeThresholdForEach(each, target);
  const proposal = proposed === undefined ? undefined : pooled[proposed];
  if (options.json) {
    const figures = { target, proposal, curve: pooled, folds: each.slice(0, folds.length) };
    console.log(JSON.stringify(file ? { ...figures, file: each.at(-1) } : figures, null, 2));
    return;
  }
  const which = file === undefined ? "fold" : `fold, then ${basename(options.fit!)}`;
  console.log(
    `${folds.flat().length} corpus requests in ${folds.length} blocks, each routed by a classifier` +
      ` trained without it${file === undefined ? "" : `, and ${file.length} of ${options.fit}`};` +
      ` what each threshold would do (silent and right per ${which}):`,
  );
  const figures = (index: number, of: (point: ThresholdPoint) => number) =>
    each.map((curve) => (of(curve[index]!) * 100).toFixed(1).padStart(4)).join(" ");
  // Each set's figure takes four characters and a space.
  const width = 5 * sets.length - 1;
  const perSet = `${"silent per set %".padEnd(width)}  right per set %`;
  console.log(`threshold  routed right  silent misroutes  to the catch-all  ${perSet}`);
  for (const index of shownAt(pooled, proposed)) {
    const silent = figures(index, (point) => point.silentMisroutes).padEnd(width);
    const right = figures(index, (point) => point.routedRight);
    const mark = index === proposed ? "  ← proposed" : "";
    console.log(`${tradeOffRow(pooled[index]!)}  ${silent}  ${right}${mark}`);
  }
  const now = config.intake.classifier.min_confidence;
  const every =
    file === undefined ? "every fold's" : `every fold's and ${basename(options.fit!)}'s`;
  if (proposed === undefined || proposal === undefined) {
    console.log(
      `no threshold keeps ${every} silent misroutes under ${percent(target)}: add examples or rules`,
    );
    return;
  }
  const worst = Math.max(...each.map((curve) => curve[proposed]!.silentMisroutes));
  console.log(
    `proposed: intake.classifier.min_confidence: ${proposal.threshold.toFixed(2)} (now ${now}):` +
      ` ${every} silent misroutes ≤ ${percent(target)} (worst ${percent(worst)}),` +
      ` ${percent(proposal.routedRight)} of the corpus's routable requests routed right`,
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
