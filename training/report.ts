/**
 * The self-contained `report.html` written beside the artifacts: loss per iteration, metrics at k = 1..20
 * for ALS against the most-popular baseline, the popularity long tail, parameters and counts. Charts are
 * inline SVG from {@link renderLineChart} (Vega-Lite); the page needs no scripts and no network.
 * @module
 */
import { type LineChart, renderLineChart } from './charts.js';
import type { Evaluation } from './evaluate.js';
import { METRIC_LABELS, METRIC_NAMES, type MetricName, type RankingMetrics } from './metrics.js';
import type { TuneResult } from './tune.js';
import { tuningSection } from './tuning-report.js';

/** The held-out split as the report describes it. */
export interface ReportSplit {
  /** `random` (EVAL.md's seeded key) or `time` (each user's most recent) */
  kind: string;
  rule: string;
  seed: number;
  trainPairs: number;
  testPairs: number;
  testUsers: number;
}

/** Everything the report shows. */
export interface ReportInput {
  version?: string;
  createdAt: string;
  /** the settings of the published model (ALS parameters and the weighting) */
  params: Readonly<Record<string, string | number>>;
  /** the search that chose them, with `--tune` */
  tuning?: TuneResult | undefined;
  counts: Readonly<Record<string, number>>;
  dataset: { interactions: string; videos?: string; digest: string };
  split?: ReportSplit;
  /** loss per iteration of the model trained on the train part */
  evaluationLosses?: readonly number[];
  /** loss per iteration of the model retrained on all data (the published one) */
  finalLosses?: readonly number[];
  evaluation?: Evaluation;
  /** per video: the number of distinct users who interacted with it (`videoPopularity` in src/core/popularity.ts) */
  popularity: ArrayLike<number>;
  /** the k the summary table shows (default 10) */
  summaryK?: number;
  notes?: readonly string[];
  /** why there is no evaluation, when `evaluation` is absent (default: --no-eval) */
  skipReason?: string;
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Formats a number compactly: integers as they are, others with 4 significant digits. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value) || (Number.isInteger(value) && Math.abs(value) < 1e15)) return String(value);
  if (Math.abs(value) >= 1e6 || Math.abs(value) < 1e-3) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

/** One chart in the page: its SVG in a figure the page's anchors and tests find by id. */
async function figure(id: string, chart: LineChart): Promise<string> {
  return `<figure class="chart" id="${id}">${await renderLineChart(chart)}</figure>`;
}

const COLORS = { als: '#1f77b4', popularity: '#d62728', retrain: '#2ca02c' } as const;

/** How the report names the metrics; the first sentence of each defines it. */
export const METRIC_DEFINITIONS: Record<MetricName, string> = {
  precision: "implicit's precision@k: hits summed over users / sum over users of min(k, held-out items).",
  map: 'MAP@k: mean over users of (sum of precision at each hit rank) / min(k, held-out items).',
  ndcg: 'NDCG@k: binary gains 1 / log2(rank + 1), ideal DCG over min(k, held-out items) ranks, mean over users.',
  auc: "implicit's AUC@k: top-k approximation, items outside the top k count as ties, mean over users.",
  plainPrecision: 'plain precision@k: mean over users of hits / k.',
  recall: 'recall@k: mean over users of hits / held-out items.',
  coverage: 'coverage@k: distinct videos recommended to evaluated users / catalogue size.',
};

function seriesOf(rows: readonly RankingMetrics[], metric: MetricName): [number, number][] {
  return rows.map((row) => [row.k, row[metric]]);
}

async function lossChart(input: ReportInput): Promise<string> {
  const series = [
    input.evaluationLosses && {
      label: 'train part',
      color: COLORS.als,
      points: input.evaluationLosses.map((loss, i): [number, number] => [i + 1, loss]),
    },
    input.finalLosses && {
      label: 'all data (published)',
      color: COLORS.retrain,
      dashed: true,
      points: input.finalLosses.map((loss, i): [number, number] => [i + 1, loss]),
    },
  ].filter((s) => s !== undefined);
  if (series.length === 0) return '<p>No loss was recorded.</p>';
  return figure('chart-loss', {
    title: 'Training loss per iteration',
    xLabel: 'iteration',
    yLabel: 'loss',
    series,
    width: 480,
  });
}

async function metricCharts(evaluation: Evaluation): Promise<string> {
  const charts = METRIC_NAMES.map((metric) =>
    figure(`chart-${metric}`, {
      title: `${METRIC_LABELS[metric]} at k`,
      xLabel: 'k',
      yLabel: METRIC_LABELS[metric],
      yFromZero: true,
      series: [
        { label: 'ALS', color: COLORS.als, points: seriesOf(evaluation.als, metric) },
        {
          label: 'most popular',
          color: COLORS.popularity,
          dashed: true,
          points: seriesOf(evaluation.popularity, metric),
        },
      ],
    }),
  );
  return (await Promise.all(charts)).join('\n');
}

/** Rank-ordered popularity, thinned to about `maxPoints` log-spaced ranks so big catalogues stay small. */
export function longTailPoints(popularity: ArrayLike<number>, maxPoints = 200): [number, number][] {
  const sorted = Array.from(popularity).sort((a, b) => b - a);
  if (sorted.length <= maxPoints) return sorted.map((v, i) => [i + 1, v]);
  const ranks = new Set<number>([1, sorted.length]);
  for (let j = 0; j < maxPoints; j++) ranks.add(Math.round(sorted.length ** (j / (maxPoints - 1))));
  return [...ranks].sort((a, b) => a - b).map((rank) => [rank, sorted[rank - 1] ?? 0]);
}

/** Share of all popularity (with distinct-user counts: of all (user, video) pairs) held by the most popular `fraction` of videos. */
export function headShare(popularity: ArrayLike<number>, fraction: number): number {
  const sorted = Array.from(popularity).sort((a, b) => b - a);
  const total = sorted.reduce((a, b) => a + b, 0);
  const head = sorted.slice(0, Math.max(1, Math.round(sorted.length * fraction))).reduce((a, b) => a + b, 0);
  return total > 0 ? head / total : 0;
}

async function longTail(popularity: ArrayLike<number>): Promise<string> {
  const chart = await figure('chart-long-tail', {
    title: 'Video popularity (long tail)',
    xLabel: 'video rank by popularity',
    yLabel: 'users per video (log)',
    logY: true,
    width: 480,
    series: [{ label: 'users per video', color: COLORS.als, points: longTailPoints(popularity) }],
  });
  const share = (headShare(popularity, 0.2) * 100).toFixed(1);
  return `${chart}\n<p id="head-share" data-value="${share}">The most popular 20% of videos hold ${share}% of all (user, video) pairs.</p>`;
}

function table(headers: readonly string[], rows: readonly (readonly string[])[], id?: string): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table${id ? ` id="${id}"` : ''}><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function summaryTable(evaluation: Evaluation, k: number): string {
  const als = evaluation.als.find((row) => row.k === k);
  const pop = evaluation.popularity.find((row) => row.k === k);
  if (!als || !pop) return '';
  const rows = METRIC_NAMES.map((metric) => [
    `${METRIC_LABELS[metric]}@${k}`,
    als[metric].toFixed(4),
    pop[metric].toFixed(4),
    pop[metric] > 0 ? `${(als[metric] / pop[metric]).toFixed(2)}x` : '-',
  ]);
  return table(['metric', 'ALS', 'most popular', 'ALS / baseline'], rows, 'summary');
}

function allKTable(evaluation: Evaluation): string {
  const rows = evaluation.als.map((als, i) => {
    const pop = evaluation.popularity[i];
    return [
      String(als.k),
      ...METRIC_NAMES.flatMap((m) => [als[m].toFixed(4), pop ? pop[m].toFixed(4) : '-']),
    ];
  });
  const headers = ['k', ...METRIC_NAMES.flatMap((m) => [`${METRIC_LABELS[m]} ALS`, 'pop'])];
  return `<details><summary>All metrics at k = 1..${evaluation.als.length}</summary>${table(headers, rows, 'metrics-all')}</details>`;
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1200px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f4f4f4}td:first-child{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:12px}
.chart{margin:0;background:#fff;border:1px solid #e4e4e4}.chart svg{display:block}
code{background:#f4f4f4;padding:0 3px}tr.chosen td{background:#e8f4e8;font-weight:600}`;

/**
 * Renders the training report as one HTML document with everything inline.
 * @example
 * await writeFile('report.html', await renderReport(input));
 */
export async function renderReport(input: ReportInput): Promise<string> {
  const k = input.summaryK ?? 10;
  const paramRows = Object.entries(input.params).map(([name, value]) => [name, String(value)]);
  const countRows = Object.entries(input.counts).map(([name, value]) => [name, formatNumber(value)]);
  const dataRows = [
    ['interactions file', input.dataset.interactions],
    ['videos file', input.dataset.videos ?? '(none)'],
    ['data digest (sha256)', input.dataset.digest],
  ];
  const [metricFigures, lossFigure, longTailFigure, tuning] = await Promise.all([
    input.evaluation ? metricCharts(input.evaluation) : '',
    lossChart(input),
    longTail(input.popularity),
    input.tuning ? tuningSection(input.tuning) : '',
  ]);
  const evaluation = input.evaluation
    ? [
        `<h2>Evaluation (held-out split: ${escapeHtml(input.split?.kind ?? 'random')})</h2>`,
        input.split
          ? `<p id="split-rule" data-kind="${escapeHtml(input.split.kind)}">${escapeHtml(input.split.rule)} Seed ${input.split.seed}: ${input.split.trainPairs} train pairs, ${input.split.testPairs} held-out pairs over ${input.split.testUsers} users. Each user's train videos are left out of their recommendations.</p>`
          : '',
        summaryTable(input.evaluation, k),
        `<div class="charts">${metricFigures}</div>`,
        allKTable(input.evaluation),
        `<h3>Definitions (the <code>implicit</code> library's)</h3><ul>${METRIC_NAMES.map((m) => `<li>${escapeHtml(METRIC_DEFINITIONS[m])}</li>`).join('')}</ul>`,
      ].join('\n')
    : `<h2>Evaluation</h2><p>Skipped (${escapeHtml(input.skipReason ?? '--no-eval')}).</p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Training report${input.version ? ` ${escapeHtml(input.version)}` : ''}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Training report</h1>
<p>Model version <code id="version">${escapeHtml(input.version ?? '(not published)')}</code>, created ${escapeHtml(input.createdAt)}.</p>
${(input.notes ?? []).map((note) => `<p class="note">${escapeHtml(note)}</p>`).join('\n')}
${evaluation}
${tuning}
<h2>Training loss</h2>
${lossFigure}
<h2>Popularity</h2>
${longTailFigure}
<h2>Parameters and counts</h2>
<div class="charts">
${table(['parameter', 'value'], paramRows, 'params')}
${table(['count', 'value'], countRows, 'counts')}
${table(['data', 'value'], dataRows, 'dataset')}
</div>
</body>
</html>
`;
}
