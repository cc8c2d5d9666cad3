/**
 * The search of `--tune` as the manifest stores it and as `report.html` shows it: a table of every trial
 * and a Vega-Lite chart of the validation score by trial with the best so far.
 * @module
 */
import { type ChartSeries, renderLineChart } from './charts.js';
import { describeSettings } from './search-space.js';
import { type TrialRecord, TUNE_K, type TuneResult } from './tune.js';

const round = (value: number): number => Number(value.toFixed(6));

/** The search for the manifest's `tuning`: budget, validation split, the choice and every trial. */
export function tuningForManifest(result: TuneResult): Record<string, unknown> {
  const trial = (t: TrialRecord): Record<string, unknown> => ({
    trial: t.trial,
    phase: t.phase,
    settings: t.settings,
    status: t.status,
    ...(t.reason ? { reason: t.reason } : {}),
    iterationsRun: t.iterationsRun,
    score: round(t.score),
    metrics: {
      precision: round(t.metrics.precision),
      map: round(t.metrics.map),
      ndcg: round(t.metrics.ndcg),
    },
    seconds: Number(t.seconds.toFixed(3)),
  });
  return {
    method:
      'seeded random search, then a Tree-structured Parzen Estimator; successive halving (eta 2) at 3, 6, 12, 24 iterations',
    objective: `${result.objective}@${TUNE_K} on the validation split`,
    budget: result.budget,
    seconds: Number(result.seconds.toFixed(3)),
    validation: result.validation,
    space: result.space,
    chosen: { trial: result.best.trial, settings: result.best.settings, score: round(result.best.score) },
    trials: result.trials.map(trial),
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Each trial's score and the best completed score so far, by trial number. */
export function tuningSeries(result: TuneResult): ChartSeries[] {
  let best = Number.NEGATIVE_INFINITY;
  const bestSoFar: [number, number][] = [];
  for (const t of result.trials) {
    if (t.status === 'completed') best = Math.max(best, t.score);
    if (Number.isFinite(best)) bestSoFar.push([t.trial, best]);
  }
  const series: ChartSeries[] = [
    {
      label: 'completed trial',
      color: '#1f77b4',
      points: result.trials
        .filter((t) => t.status === 'completed')
        .map((t): [number, number] => [t.trial, t.score]),
      pointsOnly: true,
    },
    {
      label: 'stopped early (score when stopped)',
      color: '#d62728',
      points: result.trials
        .filter((t) => t.status !== 'completed')
        .map((t): [number, number] => [t.trial, t.score]),
      pointsOnly: true,
    },
    { label: 'best so far', color: '#2ca02c', dashed: true, points: bestSoFar },
  ];
  return series.filter((s) => s.points.length > 0);
}

function trialRow(t: TrialRecord, best: number): string {
  const s = t.settings;
  const cells = [
    String(t.trial),
    t.phase,
    String(s.factors),
    String(s.regularization),
    String(s.alpha),
    String(s.iterations),
    s.weighting,
    t.status === 'completed' ? 'completed' : `${t.status} at ${t.iterationsRun}`,
    t.metrics.precision.toFixed(4),
    t.metrics.map.toFixed(4),
    t.metrics.ndcg.toFixed(4),
    t.seconds.toFixed(1),
  ];
  const chosen = t.trial === best ? ' class="chosen"' : '';
  return `<tr${chosen}>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
}

/** The report's tuning section: what was searched, the chart, and a table of every trial. */
export async function tuningSection(result: TuneResult): Promise<string> {
  const v = result.validation;
  const chart = await renderLineChart({
    title: `Validation ${result.objective}@${TUNE_K} by trial`,
    xLabel: 'trial',
    yLabel: `${result.objective}@${TUNE_K} (validation)`,
    series: tuningSeries(result),
    width: 480,
  });
  const headers = [
    'trial',
    'phase',
    'factors',
    'reg',
    'alpha',
    'iterations',
    'weighting',
    'status',
    'P@10',
    'MAP@10',
    'NDCG@10',
    's',
  ];
  const head = headers.map((h) => `<th>${h}</th>`).join('');
  const rows = result.trials.map((t) => trialRow(t, result.best.trial)).join('\n');
  return [
    '<h2>Tuning</h2>',
    `<p id="tuning-summary">${result.trials.length} trials in ${result.seconds.toFixed(1)} s (budget ${result.budget.trials} trials${result.budget.minutes === undefined ? '' : `, ${result.budget.minutes} min`}), maximising ${escapeHtml(result.objective)}@${TUNE_K} on a validation split of the train part (${v.kind} rule, seed ${v.seed}: ${v.validationPairs} pairs of ${v.users} users held out of ${v.trainPairs + v.validationPairs}). The test split was not read while choosing. Chosen: trial ${result.best.trial}, ${escapeHtml(describeSettings(result.best.settings))}.</p>`,
    `<figure class="chart" id="chart-tuning">${chart}</figure>`,
    `<table id="tuning-trials"><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`,
  ].join('\n');
}
