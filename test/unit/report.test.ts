import { describe, expect, it } from 'vitest';
import type { Evaluation } from '../../training/evaluate.js';
import { cutoffs, METRIC_NAMES, type RankingMetrics } from '../../training/metrics.js';
import {
  escapeHtml,
  headShare,
  longTailPoints,
  type ReportInput,
  renderReport,
} from '../../training/report.js';
import { chartPoints, legendOrigin, plotArea } from '../helpers/chart-svg.js';

/** The report's chart figures: figure id -> its SVG. */
function figures(html: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of html.matchAll(/<figure class="chart" id="([^"]+)">(<svg[\s\S]*?<\/svg>)<\/figure>/g)) {
    found.set(match[1] ?? '', match[2] ?? '');
  }
  return found;
}

/** Points of a series, rounded to the 12 significant digits the charts print. */
function rounded(points: readonly (readonly [number, number])[]): [number, number][] {
  return points.map(([x, y]) => [x, Number(y.toPrecision(12))]);
}

function metricsRows(scale: number): RankingMetrics[] {
  return cutoffs(20).map((k) => ({
    k,
    precision: scale * (0.5 - k / 100),
    map: scale * (0.3 - k / 200),
    ndcg: scale * (0.4 - k / 150),
    auc: 0.5 + (scale * k) / 100,
    plainPrecision: scale * (0.4 - k / 100),
    recall: (scale * k) / 40,
    coverage: (scale * k) / 50,
    users: 100,
  }));
}

const evaluation: Evaluation = { als: metricsRows(1), popularity: metricsRows(0.5) };
const input: ReportInput = {
  version: '20250101T102000Z-1a2b3c4d',
  createdAt: '2025-01-01T10:20:00.000Z',
  params: { factors: 20, regularization: 0.1, alpha: 1, iterations: 3, cgSteps: 3, threads: 1, seed: 42 },
  counts: { users: 943, videos: 1682, interactions: 100000 },
  dataset: { interactions: 'data/sample/interactions.csv', digest: 'ab'.repeat(32) },
  split: {
    kind: 'random',
    rule: 'Per-user holdout <rule>.',
    seed: 42,
    trainPairs: 80367,
    testPairs: 19633,
    testUsers: 943,
  },
  evaluationLosses: [0.9, 0.5, 0.4],
  finalLosses: [0.8, 0.45, 0.35],
  evaluation,
  popularity: [1, 50, 3, 20, 8],
};

describe('Function: renderReport', () => {
  it('draws the loss, every metric at k = 1..20 for both rankers, and the long tail', async () => {
    // Act
    const html = await renderReport(input);
    const charts = figures(html);

    // Assess
    expect([...charts.keys()]).toEqual([
      ...METRIC_NAMES.map((metric) => `chart-${metric}`),
      'chart-loss',
      'chart-long-tail',
    ]);
    expect(Object.fromEntries(chartPoints(charts.get('chart-loss') ?? ''))).toEqual({
      'train part': [
        [1, 0.9],
        [2, 0.5],
        [3, 0.4],
      ],
      'all data (published)': [
        [1, 0.8],
        [2, 0.45],
        [3, 0.35],
      ],
    });
    for (const metric of METRIC_NAMES) {
      const svg = charts.get(`chart-${metric}`) ?? '';
      expect(Object.fromEntries(chartPoints(svg)), metric).toEqual({
        ALS: rounded(evaluation.als.map((row) => [row.k, row[metric]])),
        'most popular': rounded(evaluation.popularity.map((row) => [row.k, row[metric]])),
      });
    }
    expect(Object.fromEntries(chartPoints(charts.get('chart-long-tail') ?? ''))).toEqual({
      'users per video': [
        [1, 50],
        [2, 20],
        [3, 8],
        [4, 3],
        [5, 1],
      ],
    });
  });

  it('keeps every legend outside its plot area', async () => {
    const charts = figures(await renderReport(input));

    for (const [id, svg] of charts) {
      const legend = legendOrigin(svg);
      if (id === 'chart-long-tail') expect(legend, id).toBeUndefined();
      else expect(legend?.y, id).toBeGreaterThan(plotArea(svg).height);
    }
  });

  it('tabulates the summary at k = 10, params, counts and the split, escaped', async () => {
    const html = await renderReport(input);
    const summary = html.match(/<table id="summary">[\s\S]*?<\/table>/)?.[0] ?? '';
    expect(summary).toContain('<td>precision (implicit)@10</td><td>0.4000</td><td>0.2000</td><td>2.00x</td>');
    expect(html).toContain('<tr><td>factors</td><td>20</td></tr>');
    expect(html).toContain('<tr><td>interactions</td><td>100000</td></tr>');
    expect(html).toContain(`${escapeHtml('Per-user holdout <rule>.')} Seed 42: 80367 train pairs`);
    expect(html).toContain('<code id="version">20250101T102000Z-1a2b3c4d</code>');
    expect(html).toMatch(/id="head-share" data-value="(\d+\.\d)"/);
  });

  it('is self-contained: no scripts, no external resources', async () => {
    const html = await renderReport(input);

    expect(html).not.toMatch(/<script|<link|<img|<image|<use|@import|src=|href=|url\(/i);
    const urls = [...html.matchAll(/https?:\/\/[^\s"')]+/g)].map((m) => m[0]);
    // XML namespace names only: identifiers, never fetched.
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink']));
  });

  it('says so when evaluation was skipped and still draws loss and long tail', async () => {
    const skipped = { ...input, evaluation: undefined, split: undefined, finalLosses: undefined };

    const html = await renderReport(skipped);
    const impossible = await renderReport({ ...skipped, skipReason: 'no user has 5 pairs' });

    expect(html).toContain('Skipped (--no-eval).');
    expect(impossible).toContain('Skipped (no user has 5 pairs).');
    expect([...figures(html).keys()]).toEqual(['chart-loss', 'chart-long-tail']);
    expect([...chartPoints(figures(html).get('chart-loss') ?? '').keys()]).toEqual(['train part']);
  });
});

describe('Function: longTailPoints', () => {
  it('thins large catalogues to log-spaced ranks, keeping the first and last', () => {
    const popularity = Array.from({ length: 10_000 }, (_, i) => 10_000 - i);
    const points = longTailPoints(popularity, 50);
    expect(points.length).toBeLessThanOrEqual(52);
    expect(points[0]).toEqual([1, 10_000]);
    expect(points.at(-1)).toEqual([10_000, 1]);
    expect(points.every(([rank, value]) => value === 10_001 - rank)).toBe(true);
  });
});

describe('Function: headShare', () => {
  it('gives the share of value in the top fraction of videos', () => {
    // Top 20% of 5 videos = 1 video holding 50 of 82.
    expect(headShare([1, 50, 3, 20, 8], 0.2)).toBeCloseTo(50 / 82, 12);
  });
});
