import { describe, expect, it } from 'vitest';
import { DEFAULT_SEARCH_SPACE } from '../../training/search-space.js';
import type { TrialRecord, TuneResult } from '../../training/tune.js';
import { tuningForManifest, tuningSection, tuningSeries } from '../../training/tuning-report.js';

const trial = (n: number, score: number, status: TrialRecord['status'] = 'completed'): TrialRecord => ({
  trial: n,
  phase: n === 1 ? 'baseline' : 'random',
  settings: { factors: 8 * n, regularization: 0.1 * n, alpha: 1, iterations: 10, weighting: 'none' },
  status,
  ...(status === 'completed' ? {} : { reason: 'below the median <0.5> of 4 trials at iteration 3' }),
  iterationsRun: status === 'completed' ? 10 : 3,
  score,
  metrics: { precision: score, map: score / 2, ndcg: score / 3 },
  rungs: [],
  seconds: 1.23456,
});

const result: TuneResult = {
  best: trial(2, 0.5),
  trials: [trial(1, 0.3), trial(2, 0.5), trial(3, 0.2, 'stopped'), trial(4, 0.4)],
  seconds: 12.5,
  objective: 'precision',
  budget: { trials: 4, minutes: 60 },
  validation: { kind: 'random', seed: 43, trainPairs: 800, validationPairs: 200, users: 90 },
  space: DEFAULT_SEARCH_SPACE,
};

describe('Function: tuningSeries', () => {
  it('plots completed and stopped trials as points and the best completed score so far as a line', () => {
    expect(tuningSeries(result).map((s) => [s.label, s.points, s.pointsOnly ?? false])).toEqual([
      [
        'completed trial',
        [
          [1, 0.3],
          [2, 0.5],
          [4, 0.4],
        ],
        true,
      ],
      ['stopped early (score when stopped)', [[3, 0.2]], true],
      [
        'best so far',
        [
          [1, 0.3],
          [2, 0.5],
          [3, 0.5],
          [4, 0.5],
        ],
        false,
      ],
    ]);
  });
});

describe('Function: tuningForManifest', () => {
  it('stores the choice and every trial with rounded numbers', () => {
    const stored = tuningForManifest(result);
    expect(stored).toMatchObject({
      objective: 'precision@10 on the validation split',
      budget: { trials: 4, minutes: 60 },
      chosen: { trial: 2, settings: result.best.settings, score: 0.5 },
      validation: result.validation,
    });
    expect(stored.trials).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ trial: 3, status: 'stopped', reason: expect.any(String), seconds: 1.235 }),
      ]),
    );
  });
});

describe('Function: tuningSection', () => {
  it('shows a table of every trial (the chosen one marked), the chart and the summary, escaping text', async () => {
    const html = await tuningSection(result);
    expect(html.match(/<tr( class="chosen")?><td>/g)).toHaveLength(4);
    expect(html).toContain('<tr class="chosen"><td>2</td>');
    expect(html).toContain('<td>stopped at 3</td>');
    expect(html).toContain('<figure class="chart" id="chart-tuning"><svg');
    expect(html).toContain('4 trials in 12.5 s (budget 4 trials, 60 min)');
    expect(html).toContain('The test split was not read while choosing.');
  });
});
