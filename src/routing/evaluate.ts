/**
 * Scoring routing and intake on a labelled set: what `steward route --eval` prints and what the
 * bench reports. Pure: the caller says what filing each request would do.
 */

import { type LabelledRequest, readLabelledLines } from "../config/labelled.js";

export type { LabelledRequest };

/** What filing a request would do, as far as the requester is concerned. */
export type IntakeOutcome = "queued" | "needs_clarification" | "escalated";

export interface Scored {
  request: LabelledRequest;
  routed: string;
  outcome: IntakeOutcome;
  confidence: number;
}

export interface EvalReport {
  total: number;
  /** Requests that belong to a category (not the catch-all). */
  routable: number;
  /** Share of all requests routed to their labelled category (the catch-all included). */
  accuracy: number;
  /** Share of routable requests that reach the right worker with no person involved. */
  touchFree: number;
  /** Share of all requests queued in a wrong, non-catch-all category: nobody will notice. */
  silentMisroutes: number;
  /** Share of routable requests sent to the catch-all (a person decides). */
  catchAll: number;
  /** Share of routable requests that stop to ask the requester. */
  clarification: number;
  /** Share of catch-all requests (nonsense, out of scope) that were escalated. */
  nonsenseEscalated: number;
  /** confusion[labelled][routed] = count. */
  confusion: Record<string, Record<string, number>>;
  mistakes: Scored[];
}

export function scoreRouting(scored: readonly Scored[], catchAll: string): EvalReport {
  const routable = scored.filter((item) => item.request.category !== catchAll);
  const nonsense = scored.filter((item) => item.request.category === catchAll);
  const confusion: EvalReport["confusion"] = {};
  for (const item of scored) {
    confusion[item.request.category] ??= {};
    const row = confusion[item.request.category]!;
    row[item.routed] = (row[item.routed] ?? 0) + 1;
  }
  const right = (item: Scored) => item.routed === item.request.category;
  const silent = (item: Scored) => item.routed !== catchAll && !right(item);
  return {
    total: scored.length,
    routable: routable.length,
    accuracy: share(scored.filter(right).length, scored.length),
    touchFree: share(
      routable.filter((item) => right(item) && item.outcome === "queued").length,
      routable.length,
    ),
    silentMisroutes: share(scored.filter(silent).length, scored.length),
    catchAll: share(routable.filter((item) => item.routed === catchAll).length, routable.length),
    clarification: share(
      routable.filter((item) => item.outcome === "needs_clarification").length,
      routable.length,
    ),
    nonsenseEscalated: share(
      nonsense.filter((item) => item.outcome === "escalated").length,
      nonsense.length,
    ),
    confusion,
    mistakes: scored.filter((item) => !right(item)),
  };
}

export interface ThresholdPoint {
  threshold: number;
  accuracy: number;
  /** Share of routable requests routed right (touch-free as far as routing goes). */
  routedRight: number;
  silentMisroutes: number;
  catchAll: number;
}

/**
 * For each candidate threshold, what routing would do if requests under it went to the catch-all.
 * `decided` is each request's category and confidence when no threshold applies; a decision by an
 * explicit rule has confidence ≥ 0.8 and is not affected by thresholds up to that.
 */
export function thresholdCurve(
  decided: readonly { expected: string; category: string; confidence: number }[],
  catchAll: string,
  thresholds: readonly number[],
): ThresholdPoint[] {
  const routable = decided.filter((item) => item.expected !== catchAll).length;
  return thresholds.map((threshold) => {
    let right = 0;
    let routedRight = 0;
    let silent = 0;
    let toCatchAll = 0;
    for (const item of decided) {
      const category = item.confidence >= threshold ? item.category : catchAll;
      if (category === item.expected) {
        right += 1;
        if (item.expected !== catchAll) routedRight += 1;
      } else if (category !== catchAll) silent += 1;
      if (category === catchAll && item.expected !== catchAll) toCatchAll += 1;
    }
    return {
      threshold,
      accuracy: share(right, decided.length),
      routedRight: share(routedRight, routable),
      silentMisroutes: share(silent, decided.length),
      catchAll: share(toCatchAll, routable),
    };
  });
}

/** The lowest threshold whose silent misroutes stay at or under `target`, if any does. */
export function proposeThreshold(
  curve: readonly ThresholdPoint[],
  target: number,
): ThresholdPoint | undefined {
  return curve.find((point) => point.silentMisroutes <= target);
}

/**
 * The lowest threshold at which every set's silent misroutes stay at or under `target`, if any
 * does: `curves` are one `thresholdCurve` per set (the corpus's folds), over the same thresholds.
 * Stricter than pooling the sets: a threshold that averages 3 % can leave one business at 4 %.
 * Its index in the curves, so the caller can show each set's figures there.
 */
export function proposeThresholdForEach(
  curves: readonly (readonly ThresholdPoint[])[],
  target: number,
): number | undefined {
  const [first] = curves;
  if (first === undefined) return undefined;
  const at = first.findIndex((_, index) =>
    curves.every((curve) => curve[index]!.silentMisroutes <= target),
  );
  return at === -1 ? undefined : at;
}

/** Parses a labelled JSON Lines file's text; names the line of any malformed entry. */
export function parseLabelled(text: string, file: string): LabelledRequest[] {
  const { requests, problems } = readLabelledLines(text);
  const [first] = problems;
  if (first !== undefined) throw new Error(`${file}:${first.line}: ${first.message}`);
  return requests;
}

function share(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole;
}
