import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { Review } from "./report.js";

/**
 * The review's chart: tasks created per day stacked by category, and escalations per day
 * under it. vega-lite → vega → SVG → PNG with resvg: no browser, no canvas, no native fonts
 * beyond what the system has.
 */

/** Families tried in order; resvg falls back to the first system font if none is installed. */
const FONT = "DejaVu Sans, Liberation Sans, Noto Sans, Arial, Helvetica, sans-serif";
const FONT_DIRS = ["/usr/share/fonts"];
const WIDTH = 900;
/** Rendered at twice the layout size so text stays crisp when Discord scales it. */
const ZOOM = 2;

/** The PNG, or undefined when the month has nothing to draw (an empty chart reads as figures). */
export async function renderReviewChart(review: Review): Promise<Buffer | undefined> {
  if (!hasChartData(review)) return undefined;
  const spec = chartSpec(review);
  const view = new View(parse(compile(spec).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return svgToPng(svg);
}

/** Writes the chart to `file` (its folder made if need be); returns the line that says where. */
export async function writeReviewChart(review: Review, file: string): Promise<string> {
  const png = await renderReviewChart(review);
  if (png === undefined) return noChartNote(review);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, png);
  return `chart: ${file}`;
}

/** No task created and no escalation: every bar would be zero. */
export function hasChartData(review: Review): boolean {
  return review.daily.some((day) => day.total > 0 || day.escalations > 0);
}

/** Said where the chart would be. */
export function noChartNote(review: Review): string {
  return `chart: nothing to chart in ${review.month} (no task created, no escalation)`;
}

/** Counts are whole: ticks never show fractions, and an all-zero panel still spans 0–1. */
const COUNT_AXIS = { tickMinStep: 1, format: "d" } as const;

/** The vega-lite spec, exposed so its shape can be checked without rendering. */
export function chartSpec(review: Review): TopLevelSpec {
  const days = review.daily.map((day) => day.day.slice(8));
  const categories = review.categories.map((row) => row.category);
  const created = review.daily.flatMap((day) =>
    Object.entries(day.created).map(([category, count]) => ({
      day: day.day.slice(8),
      category,
      count,
      rank: categories.indexOf(category),
    })),
  );
  const hasEscalations = review.daily.some((day) => day.escalations > 0);
  const escalations = review.daily.map((day) => ({
    day: day.day.slice(8),
    count: day.escalations,
  }));
  const x = {
    field: "day",
    type: "ordinal" as const,
    scale: { domain: days },
    axis: { title: `day of ${review.month} (${review.timeZone})`, labelAngle: 0 },
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: `Steward review ${review.month}`,
      subtitle:
        `${review.volume.created.toLocaleString("en-US")} tasks created, ` +
        `${review.escalations.escalations.toLocaleString("en-US")} escalations`,
      offset: 12,
    },
    background: "white",
    padding: 16,
    config: {
      font: FONT,
      view: { stroke: null },
      axis: { labelFontSize: 11, titleFontSize: 12 },
      legend: { labelFontSize: 11, titleFontSize: 12 },
      title: { fontSize: 16, subtitleFontSize: 12, anchor: "start" },
    },
    vconcat: [
      {
        title: { text: "Tasks created per day, by category", fontSize: 13 },
        width: WIDTH,
        height: 260,
        data: { values: created },
        mark: { type: "bar" },
        encoding: {
          x,
          y: {
            field: "count",
            type: "quantitative",
            aggregate: "sum",
            title: "tasks",
            axis: COUNT_AXIS,
          },
          color: {
            field: "category",
            type: "nominal",
            // Every category in config order: the same colour for a category every month.
            scale: { scheme: "tableau10", domain: categories },
            legend: { title: "category" },
          },
          // The first category on top of each bar, as it is on top of the legend.
          order: { field: "rank", sort: "descending" },
        },
      },
      {
        title: { text: "Escalations per day", fontSize: 13 },
        width: WIDTH,
        height: 120,
        data: { values: escalations },
        mark: { type: "bar", color: "#d62728" },
        encoding: {
          x,
          y: {
            field: "count",
            type: "quantitative",
            title: "escalations",
            axis: COUNT_AXIS,
            scale: { domainMin: 0, ...(hasEscalations ? {} : { domainMax: 1 }) },
          },
        },
      },
    ],
  };
}

function svgToPng(svg: string): Buffer {
  const resvg = new Resvg(svg, {
    background: "white",
    fitTo: { mode: "zoom", value: ZOOM },
    font: {
      loadSystemFonts: true,
      fontDirs: FONT_DIRS.filter((dir) => existsSync(dir)),
      sansSerifFamily: "DejaVu Sans",
    },
  });
  return resvg.render().asPng();
}
