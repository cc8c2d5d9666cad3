/**
 * What `npm run train -- --tune` searches over and how it draws random settings (log-uniform where a
 * setting spans decades). Everything here is a pure function of a seeded generator, so a search is
 * reproducible; training/tpe.ts proposes the settings of the guided half.
 * @module
 */
import { WEIGHTING_SCHEMES, type WeightingScheme } from '../src/als/index.js';
import type { Rng } from '../src/core/random.js';

/** One point of the search: the settings a trial trains with. */
export interface TrialSettings {
  factors: number;
  regularization: number;
  alpha: number;
  iterations: number;
  weighting: WeightingScheme;
}

/** Inclusive ranges of the search, and the weightings it may pick. */
export interface SearchSpace {
  factors: readonly [number, number];
  regularization: readonly [number, number];
  alpha: readonly [number, number];
  iterations: readonly [number, number];
  weighting: readonly WeightingScheme[];
}

/**
 * The default space. Regularization spans four decades on purpose: on MovieLens 100K the best settings
 * found lie at regularization 10-70 (three decades above implicit's default 0.01), on the shipped sample
 * at 0.01-0.1. Wider alpha and factor ranges (to 20 and 192) were measured to waste trials.
 */
export const DEFAULT_SEARCH_SPACE: SearchSpace = Object.freeze({
  factors: [8, 128] as const,
  regularization: [0.01, 100] as const,
  alpha: [0.1, 10] as const,
  iterations: [5, 25] as const,
  weighting: WEIGHTING_SCHEMES,
});

/** A value rounded to 3 significant digits, so settings read well and repeat exactly. */
export function round3(value: number): number {
  return Number(value.toPrecision(3));
}

function logUniform(rng: Rng, [lo, hi]: readonly [number, number]): number {
  return Math.exp(Math.log(lo) + rng() * (Math.log(hi) - Math.log(lo)));
}

/** A random point of the space: factors, regularization and alpha log-uniform, iterations uniform. */
export function sampleSettings(space: SearchSpace, rng: Rng): TrialSettings {
  const [itLo, itHi] = space.iterations;
  return {
    factors: Math.round(logUniform(rng, space.factors)),
    regularization: round3(logUniform(rng, space.regularization)),
    alpha: round3(logUniform(rng, space.alpha)),
    iterations: itLo + Math.floor(rng() * (itHi - itLo + 1)),
    weighting: space.weighting[Math.floor(rng() * space.weighting.length)] ?? 'none',
  };
}

/** A key equal for equal settings, to avoid training the same point twice. */
export function settingsKey(s: TrialSettings): string {
  return `${s.factors}/${s.regularization}/${s.alpha}/${s.iterations}/${s.weighting}`;
}

/** The settings in one short line, e.g. `factors 48, reg 30.2, alpha 0.91, 12 it, bm25`. */
export function describeSettings(s: TrialSettings): string {
  return `factors ${s.factors}, reg ${s.regularization}, alpha ${s.alpha}, ${s.iterations} it, ${s.weighting}`;
}
