import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/core/random.js';
import { DEFAULT_SEARCH_SPACE, sampleSettings, type TrialSettings } from '../../training/search-space.js';
import { type Observation, proposeTpe, splitObservations } from '../../training/tpe.js';

const space = DEFAULT_SEARCH_SPACE;
const at = (regularization: number, weighting: TrialSettings['weighting']): TrialSettings => ({
  factors: 32,
  regularization,
  alpha: 1,
  iterations: 15,
  weighting,
});

describe('Function: splitObservations', () => {
  it('counts the best quarter of completed trials as good (at least one); stopped trials never are', () => {
    // Prepare
    const observations: Observation[] = [0.1, 0.5, 0.3, 0.2, 0.4, 0.9].map((score, i) => ({
      settings: at(i + 1, 'none'),
      score,
      completed: score !== 0.9,
    }));

    // Act
    const { good, rest } = splitObservations(observations);

    // Assess: 5 completed -> ceil(1.25) = 2 good: 0.5 and 0.4; the stopped 0.9 among the rest.
    expect(good.map((o) => o.score)).toEqual([0.5, 0.4]);
    expect(rest.map((o) => o.score).sort()).toEqual([0.1, 0.2, 0.3, 0.9]);
  });
});

describe('Function: proposeTpe', () => {
  it('proposes settings inside the space, mostly near the good trials', () => {
    // Prepare: good trials at regularization 20-40 with tfidf, poor ones near 0.01-0.1 without weighting.
    const observations: Observation[] = [
      ...[20, 30, 40].map((reg) => ({ settings: at(reg, 'tfidf'), score: 0.4, completed: true })),
      ...[0.01, 0.02, 0.05, 0.1, 0.03, 0.07, 0.015, 0.04, 0.06].map((reg) => ({
        settings: at(reg, 'none'),
        score: 0.2,
        completed: true,
      })),
    ];
    const rng = createRng(5);

    // Act
    const proposals = Array.from({ length: 40 }, () => proposeTpe(observations, space, rng));

    // Assess
    for (const p of proposals) {
      expect(p.regularization).toBeGreaterThanOrEqual(space.regularization[0]);
      expect(p.regularization).toBeLessThanOrEqual(space.regularization[1]);
      expect(p.factors).toBeGreaterThanOrEqual(space.factors[0]);
      expect(p.iterations).toBeLessThanOrEqual(space.iterations[1]);
    }
    const nearGood = proposals.filter((p) => p.regularization > 3).length;
    const tfidf = proposals.filter((p) => p.weighting === 'tfidf').length;
    expect(nearGood).toBeGreaterThan(30);
    expect(tfidf).toBeGreaterThan(20);
  });
});

describe('Function: sampleSettings', () => {
  it('draws every setting inside its range, log-uniformly for regularization', () => {
    const rng = createRng(1);
    const draws = Array.from({ length: 400 }, () => sampleSettings(space, rng));
    const belowOne = draws.filter((d) => d.regularization < 1).length / draws.length;
    expect(
      draws.every((d) => d.factors >= 8 && d.factors <= 128 && d.iterations >= 5 && d.iterations <= 25),
    ).toBe(true);
    // log-uniform over 0.01..100: half the mass lies below 1
    expect(belowOne).toBeGreaterThan(0.4);
    expect(belowOne).toBeLessThan(0.6);
    expect(new Set(draws.map((d) => d.weighting))).toEqual(new Set(['none', 'bm25', 'tfidf']));
  });
});
