/**
 * Line charts for the training report, drawn by Vega-Lite and rendered to inline SVG by Vega in Node
 * (no browser, no canvas, no scripts or assets in the output). Legends sit below the plot area, never
 * over the curves. Each series keeps its values in the SVG: every point carries an `aria-label` such as
 * `k: 3; precision: 0.47; series: ALS`, which screen readers read and tests check.
 * @module
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** One line of a chart. */
export interface ChartSeries {
  /** the legend entry; unique within a chart */
  label: string;
  color: string;
  points: readonly (readonly [number, number])[];
  dashed?: boolean;
  /** draw the points without a line through them (e.g. one score per trial) */
  pointsOnly?: boolean;
}

/** A line chart: axes, one line per series, a legend below the plot when there are several series. */
export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  /** log10 y axis (points with y <= 0 are dropped) */
  logY?: boolean;
  /** start a linear y axis at 0 */
  yFromZero?: boolean;
  /** plot area width in pixels (axes, title and legend come on top) */
  width?: number;
  /** plot area height in pixels */
  height?: number;
}

/** Series with more points than this are drawn as plain lines, without a dot per point. */
const MAX_DOTS = 40;
const DASH = [5, 4];

/** The chart's points as Vega-Lite data rows, without those a log axis or a non-finite value cannot show. */
function rows(chart: LineChart): { x: number; y: number; series: string }[] {
  return chart.series.flatMap((series) =>
    series.points
      .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!chart.logY || y > 0))
      .map(([x, y]) => ({ x, y, series: series.label })),
  );
}

/**
 * The Vega-Lite specification of a {@link LineChart}: series told apart by colour and dash, one legend
 * for both, placed below the plot area.
 * @example
 * const spec = lineChartSpec({ title: 'loss', xLabel: 'iteration', yLabel: 'loss', series });
 */
export function lineChartSpec(chart: LineChart): TopLevelSpec {
  const values = rows(chart);
  const labels = chart.series.map((s) => s.label);
  const integerX = values.every((row) => Number.isInteger(row.x));
  const dots = chart.series.every((s) => s.points.length <= MAX_DOTS);
  const legend =
    labels.length > 1
      ? { orient: 'bottom' as const, symbolType: 'stroke', title: null, labelLimit: 0 }
      : null;
  const encoding = {
    x: {
      field: 'x',
      type: 'quantitative' as const,
      title: chart.xLabel,
      scale: { zero: false, nice: false },
      axis: integerX ? { tickMinStep: 1 } : {},
    },
    y: {
      field: 'y',
      type: 'quantitative' as const,
      title: chart.yLabel,
      scale: chart.logY ? { type: 'log' as const } : { zero: chart.yFromZero ?? false },
    },
    color: {
      field: 'series',
      type: 'nominal' as const,
      scale: { domain: labels, range: chart.series.map((s) => s.color) },
      legend,
    },
  };
  const strokeDash = {
    field: 'series',
    type: 'nominal' as const,
    scale: { domain: labels, range: chart.series.map((s) => (s.dashed ? DASH : [1, 0])) },
    legend,
  };
  const frame = {
    title: chart.title,
    width: chart.width ?? 360,
    height: chart.height ?? 200,
    data: { values },
    config: { view: { stroke: '#999' }, axis: { labelFontSize: 10, titleFontSize: 11 } },
  };
  const scattered = chart.series.filter((s) => s.pointsOnly).map((s) => s.label);
  if (scattered.length === 0)
    return {
      ...frame,
      mark: { type: 'line', point: dots, strokeWidth: 2 },
      encoding: { ...encoding, strokeDash },
    };
  // Series drawn as points only go in a layer of their own, the lines in another.
  const lines = labels.filter((label) => !scattered.includes(label));
  return {
    ...frame,
    encoding,
    layer: [
      {
        transform: [{ filter: { field: 'series', oneOf: lines } }],
        mark: { type: 'line', point: dots, strokeWidth: 2 },
        encoding: { strokeDash },
      },
      {
        transform: [{ filter: { field: 'series', oneOf: scattered } }],
        mark: { type: 'point', filled: true, size: 36 },
      },
    ],
  };
}

/**
 * Renders a {@link LineChart} as a standalone `<svg>` element.
 * @example
 * const svg = await renderLineChart({ title: 'loss', xLabel: 'iteration', yLabel: 'loss', series });
 */
export async function renderLineChart(chart: LineChart): Promise<string> {
  const view = new View(parse(compile(lineChartSpec(chart)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
