/**
 * The plain-text metrics table `npm run train` prints, and the compact form stored in the manifest.
 * @module
 */
import type { Evaluation } from './evaluate.js';
import { METRIC_LABELS, METRIC_NAMES, type RankingMetrics } from './metrics.js';

/** Reference figures to print beside ours (e.g. the `implicit` library's in EVAL.md), by metric name. */
export type ReferenceFigures = Partial<Record<(typeof METRIC_NAMES)[number], number>>;

/**
 * Formats ALS against the most-popular baseline at cut-off `k` as an aligned text table.
 * @param evaluation - metrics of both rankers
 * @param k - the cut-off to show
 * @param reference - optional third column (e.g. implicit's figures for the same setting)
 */
export function formatMetricsTable(evaluation: Evaluation, k = 10, reference?: ReferenceFigures): string {
  const als = evaluation.als.find((row) => row.k === k);
  const pop = evaluation.popularity.find((row) => row.k === k);
  if (!als || !pop) throw new RangeError(`no metrics at k = ${k}`);
  const header = ['metric', 'ALS', 'most popular', ...(reference ? ['reference', 'ALS - ref'] : [])];
  const rows = METRIC_NAMES.map((metric) => {
    const ref = reference?.[metric];
    const cells = [`${METRIC_LABELS[metric]}@${k}`, als[metric].toFixed(4), pop[metric].toFixed(4)];
    if (reference)
      cells.push(
        ref === undefined ? '-' : ref.toFixed(4),
        ref === undefined ? '-' : signed(als[metric] - ref),
      );
    return cells;
  });
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
      .join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(4)}`;
}

/** One ranker's metrics without the bookkeeping fields, for the manifest. */
function compact(row: RankingMetrics): Record<string, number> {
  const out: Record<string, number> = {};
  for (const metric of METRIC_NAMES) out[metric] = Number(row[metric].toFixed(6));
  return out;
}

/** The evaluation as the manifest stores it: headline k, both rankers at that k, and every k. */
export function metricsForManifest(
  evaluation: Evaluation,
  k: number,
  protocol: Record<string, unknown>,
): Record<string, unknown> {
  const at = (rows: readonly RankingMetrics[]): RankingMetrics | undefined => rows.find((row) => row.k === k);
  const als = at(evaluation.als);
  const pop = at(evaluation.popularity);
  return {
    definitions:
      'implicit 0.7 ranking_metrics_at_k (precision divides by min(k, held-out items)); plus plain precision, recall, coverage',
    protocol,
    k,
    users: als?.users ?? 0,
    als: als ? compact(als) : {},
    popularity: pop ? compact(pop) : {},
    atK: {
      k: evaluation.als.map((row) => row.k),
      als: evaluation.als.map(compact),
      popularity: evaluation.popularity.map(compact),
    },
  };
}
