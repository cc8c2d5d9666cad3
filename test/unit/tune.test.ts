import { describe, expect, it } from 'vitest';
import { ALS_DEFAULTS } from '../../src/als/train.js';
import { DEFAULT_SEARCH_SPACE } from '../../training/search-space.js';
import { splitHoldout } from '../../training/split.js';
import {
  formatTrial,
  SuccessiveHalving,
  type TrialRecord,
  type TuneOptions,
  tuneHyperparameters,
  validationSplit,
} from '../../training/tune.js';
import { tasteGroups } from '../helpers/taste-groups.js';

const data = tasteGroups();
const split = splitHoldout(data);
const part = {
  ...data,
  matrix: split.train,
  lastTimestamp: split.trainTimestamps,
  kind: 'random' as const,
  seed: 42,
};
const options: TuneOptions = {
  trials: 10,
  objective: 'precision',
  params: { ...ALS_DEFAULTS, factors: 4, iterations: 5, regularization: 0.1 },
  baseWeighting: 'none',
  space: { ...DEFAULT_SEARCH_SPACE, factors: [2, 12], iterations: [3, 8] },
};

/** The parts of a trial that do not depend on the clock. */
const timeless = (t: TrialRecord) => ({ ...t, seconds: 0 });

describe('Class: SuccessiveHalving', () => {
  it('stops a score below the median of at least 4 earlier scores at the same rung, and records every score', () => {
    // Prepare
    const bar = new SuccessiveHalving();

    // Act
    const verdicts = [0.5, 0.3, 0.4, 0.6].map((score) => bar.judge(3, score));
    const low = bar.judge(3, 0.44);
    const high = bar.judge(3, 0.46);
    const otherRung = bar.judge(6, 0.01);

    // Assess: the median of 0.5, 0.3, 0.4, 0.6 is 0.45; then of five scores (with 0.44) 0.44.
    expect(verdicts).toEqual([undefined, undefined, undefined, undefined]);
    expect(low).toBe('below the median 0.4500 of 4 trials at iteration 3');
    expect(high).toBeUndefined();
    expect(otherRung).toBeUndefined();
  });
});

describe('Function: validationSplit', () => {
  it('applies the test split rule to the train part with the next seed', () => {
    const validation = validationSplit(part);
    expect([validation.kind, validation.seed]).toEqual(['random', 43]);
    expect(validation.trainPairs + validation.testPairs).toBe(split.trainPairs);
  });
});

describe('Function: tuneHyperparameters', () => {
  it('runs the baseline, then random, then guided trials within the budget, and chooses the best completed score', async () => {
    // Prepare
    const lines: string[] = [];

    // Act
    const result = await tuneHyperparameters(part, options, { info: (line) => lines.push(line) });

    // Assess
    expect(result.trials.map((t) => t.phase)).toEqual([
      'baseline',
      ...Array<string>(7).fill('random'),
      'tpe',
      'tpe',
    ]);
    expect(result.trials[0]?.settings).toEqual({
      factors: 4,
      regularization: 0.1,
      alpha: 1,
      iterations: 5,
      weighting: 'none',
    });
    const completed = result.trials.filter((t) => t.status === 'completed');
    expect(result.best.score).toBe(Math.max(...completed.map((t) => t.score)));
    for (const t of result.trials) {
      expect(t.settings.factors).toBeGreaterThanOrEqual(2);
      expect(t.settings.factors).toBeLessThanOrEqual(12);
      expect(t.iterationsRun).toBeLessThanOrEqual(t.settings.iterations);
      expect(t.status === 'completed').toBe(t.iterationsRun === t.settings.iterations);
    }
    expect(lines.filter((line) => line.startsWith('trial '))).toHaveLength(10);
    expect(lines.at(-1)).toMatch(/^Chosen \(trial \d+, 10 trials in [\d.]+ s\): factors \d+, reg /);
    expect(result.validation).toMatchObject({ kind: 'random', seed: 43 });
  });

  it('is reproducible: the same seed gives the same trials', async () => {
    const [a, b] = [await tuneHyperparameters(part, options), await tuneHyperparameters(part, options)];
    expect(a.trials.map(timeless)).toEqual(b.trials.map(timeless));
  });

  it('starts no trial once the time budget is spent', async () => {
    const result = await tuneHyperparameters(part, { ...options, minutes: 1e-9 });
    expect(result.trials).toHaveLength(1);
    expect(result.trials[0]).toMatchObject({ status: 'cut', reason: 'time budget spent', iterationsRun: 1 });
    expect(result.best.trial).toBe(1);
  });

  it('formats a trial on one line, saying why it stopped', () => {
    const trial: TrialRecord = {
      trial: 7,
      phase: 'tpe',
      settings: { factors: 48, regularization: 30.2, alpha: 0.91, iterations: 12, weighting: 'bm25' },
      status: 'stopped',
      reason: 'below the median 0.4301 of 7 trials at iteration 6',
      iterationsRun: 6,
      score: 0.41,
      metrics: { precision: 0.41, map: 0.25, ndcg: 0.4 },
      rungs: [],
      seconds: 0.84,
    };
    expect(formatTrial(trial, 60)).toBe(
      'trial  7/60 tpe      factors 48, reg 30.2, alpha 0.91, 12 it, bm25 -> P@10 0.4100, MAP 0.2500, NDCG 0.4000, 0.8 s  (stopped at iteration 6: below the median 0.4301 of 7 trials at iteration 6)',
    );
  });
});
