/**
 * The model-guided half of the search: a Tree-structured Parzen Estimator (Bergstra et al. 2011, "Algorithms
 * for Hyper-Parameter Optimization"; the default sampler of Hyperopt and Optuna), kept small. The trials so
 * far are split into the best quarter ("good") and the rest; each setting gets a Parzen density per group
 * (Gaussians on the trials' values in the setting's own scale, plus a uniform prior); candidates are drawn
 * from the good density and the one with the largest good/rest density ratio is tried next.
 * @module
 */
import type { WeightingScheme } from '../src/als/index.js';
import type { Rng } from '../src/core/random.js';
import { round3, type SearchSpace, type TrialSettings } from './search-space.js';

/** A finished trial as the estimator sees it. */
export interface Observation {
  settings: TrialSettings;
  /** validation objective; higher is better */
  score: number;
  /** false for trials stopped early: they always count among the rest */
  completed: boolean;
}

/** Share of completed trials that count as good. */
export const GOOD_FRACTION = 0.25;
/** Candidates drawn from the good density per proposal. */
export const CANDIDATES = 24;

type NumericName = 'factors' | 'regularization' | 'alpha' | 'iterations';
const NUMERIC: readonly { name: NumericName; log: boolean }[] = [
  { name: 'factors', log: true },
  { name: 'regularization', log: true },
  { name: 'alpha', log: true },
  { name: 'iterations', log: false },
];

/** A setting's value mapped to [0, 1] over its range (log scale where the range spans decades). */
function toUnit(value: number, [lo, hi]: readonly [number, number], log: boolean): number {
  if (hi === lo) return 0.5;
  return log ? Math.log(value / lo) / Math.log(hi / lo) : (value - lo) / (hi - lo);
}

function fromUnit(u: number, [lo, hi]: readonly [number, number], log: boolean): number {
  return log ? lo * (hi / lo) ** u : lo + u * (hi - lo);
}

/** The Parzen density of unit values `centres` at `x`: Gaussians of width `h`, plus a uniform prior. */
function density(centres: readonly number[], x: number, h: number): number {
  let sum = 1; // the uniform prior on [0, 1] as one more component
  for (const c of centres) sum += Math.exp(-0.5 * ((x - c) / h) ** 2) / (h * Math.sqrt(2 * Math.PI));
  return sum / (centres.length + 1);
}

function bandwidth(n: number): number {
  return Math.max(0.05, 0.25 * n ** -0.2);
}

function gaussian(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/** Smoothed frequency of each weighting in a group. */
function categorical(
  group: readonly Observation[],
  choices: readonly WeightingScheme[],
): Map<WeightingScheme, number> {
  const out = new Map<WeightingScheme, number>();
  for (const choice of choices) {
    const count = group.filter((o) => o.settings.weighting === choice).length;
    out.set(choice, (count + 1) / (group.length + choices.length));
  }
  return out;
}

/** The good and the rest: the best quarter of completed trials (at least one) against everything else. */
export function splitObservations(observations: readonly Observation[]): {
  good: Observation[];
  rest: Observation[];
} {
  const completed = observations.filter((o) => o.completed).sort((a, b) => b.score - a.score);
  const good = completed.slice(0, Math.max(1, Math.ceil(completed.length * GOOD_FRACTION)));
  return { good, rest: observations.filter((o) => !good.includes(o)) };
}

/** One candidate drawn from the good density: around a random good trial (or uniformly, as the prior). */
function drawCandidate(good: readonly Observation[], space: SearchSpace, rng: Rng, h: number): number[] {
  const centre = rng() * (good.length + 1) < 1 ? undefined : good[Math.floor(rng() * good.length)];
  return NUMERIC.map(({ name, log }) => {
    if (!centre) return rng();
    const u = toUnit(centre.settings[name], space[name], log) + h * gaussian(rng);
    return Math.min(1, Math.max(0, u));
  });
}

function pickWeighting(probabilities: Map<WeightingScheme, number>, rng: Rng): WeightingScheme {
  let r = rng();
  for (const [choice, p] of probabilities) {
    r -= p;
    if (r < 0) return choice;
  }
  return [...probabilities.keys()][0] ?? 'none';
}

/**
 * Proposes the next settings from the trials so far.
 * @param observations - every trial so far (at least one completed)
 * @example
 * const next = proposeTpe(trials.map((t) => ({ settings: t.settings, score: t.score, completed: true })), space, rng);
 */
export function proposeTpe(
  observations: readonly Observation[],
  space: SearchSpace,
  rng: Rng,
): TrialSettings {
  const { good, rest } = splitObservations(observations);
  const h = bandwidth(observations.length);
  const unit = (group: readonly Observation[], i: number): number[] => {
    const { name, log } = NUMERIC[i] as (typeof NUMERIC)[number];
    return group.map((o) => toUnit(o.settings[name], space[name], log));
  };
  const goodUnits = NUMERIC.map((_, i) => unit(good, i));
  const restUnits = NUMERIC.map((_, i) => unit(rest, i));
  const goodW = categorical(good, space.weighting);
  const restW = categorical(rest, space.weighting);
  let best: { ratio: number; settings: TrialSettings } | undefined;
  for (let c = 0; c < CANDIDATES; c++) {
    const u = drawCandidate(good, space, rng, h);
    const weighting = pickWeighting(goodW, rng);
    let ratio = Math.log(goodW.get(weighting) ?? 1) - Math.log(restW.get(weighting) ?? 1);
    u.forEach((x, i) => {
      ratio += Math.log(density(goodUnits[i] ?? [], x, h)) - Math.log(density(restUnits[i] ?? [], x, h));
    });
    const value = (i: number): number => {
      const { name, log } = NUMERIC[i] as (typeof NUMERIC)[number];
      return fromUnit(u[i] as number, space[name], log);
    };
    const settings: TrialSettings = {
      factors: Math.round(value(0)),
      regularization: round3(value(1)),
      alpha: round3(value(2)),
      iterations: Math.round(value(3)),
      weighting,
    };
    if (!best || ratio > best.ratio) best = { ratio, settings };
  }
  return (best as { settings: TrialSettings }).settings;
}
