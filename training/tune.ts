/**
 * `npm run train -- --tune`: a seeded hyper-parameter search on a validation split carved from the
 * train part, so the held-out test split is never read while choosing (the caller scores the choice on
 * it once, afterwards).
 *
 * - Validation: the test split's own rule applied to the train part (random: seed + 1; time: each
 *   user's most recent fifth of the train part).
 * - Search: trial 1 trains the given settings (the baseline to beat); then random settings over
 *   {@link DEFAULT_SEARCH_SPACE}; after half the trials, perturbations of one of the three best so far.
 * - Early stopping (successive halving with eta = 2, asynchronous as in ASHA, Li et al. 2020): a trial
 *   is scored on the validation split at rungs of 3, 6, 12 and 24 iterations; it stops at a rung where
 *   its score is below the median of the earlier trials' scores at that rung (once 4 have one).
 * - Budget: `trials` trials, and no new trial (nor iteration) after `minutes`.
 * @module
 */
import {
  type FittedWeighting,
  fitWeighting,
  trainAls,
  type WeightingScheme,
  weightingOf,
  weightMatrix,
} from '../src/als/index.js';
import type { AlsParams, Csr } from '../src/core/model-data.js';
import { createRng, type Rng } from '../src/core/random.js';
import { alsRanker } from './evaluate.js';
import { type RankingMetrics, rankingMetrics } from './metrics.js';
import {
  DEFAULT_SEARCH_SPACE,
  describeSettings,
  type SearchSpace,
  sampleSettings,
  settingsKey,
  type TrialSettings,
} from './search-space.js';
import { type Split, type SplitInput, type SplitKind, splitOf } from './split.js';
import { proposeTpe } from './tpe.js';

/** Metrics the search may maximise (at k = 10, implicit's definitions). */
export const TUNE_OBJECTIVES = ['precision', 'map', 'ndcg'] as const;
export type TuneObjective = (typeof TUNE_OBJECTIVES)[number];

/** Default budget: trials and minutes. */
export const TUNE_DEFAULTS = Object.freeze({
  trials: 60,
  minutes: 10,
  objective: 'precision' as TuneObjective,
});
/** Iterations at which trials are compared (successive halving rungs). */
export const RUNGS: readonly number[] = [3, 6, 12, 24];
/** Earlier scores a rung needs before it stops anyone. */
export const MIN_PEERS = 4;
/** Random trials before the estimator takes over (or {@link RANDOM_SHARE} of the budget, if more). */
export const RANDOM_TRIALS_MIN = 8;
export const RANDOM_SHARE = 0.4;
/** The cut-off the search scores at. */
export const TUNE_K = 10;

/** The train part of the held-out split: all the search may see. */
export interface TrainPart extends SplitInput {
  kind: SplitKind;
  /** the test split's seed; the validation split uses seed + 1 */
  seed: number;
}

/** How to search. */
export interface TuneOptions {
  trials: number;
  /** wall-clock budget; undefined: none */
  minutes?: number | undefined;
  objective: TuneObjective;
  /** the run's settings: trial 1 trains them; cgSteps, threads and seed hold for every trial */
  params: AlsParams;
  baseWeighting: WeightingScheme;
  /** seeds the search (default: params.seed) */
  seed?: number | undefined;
  space?: SearchSpace | undefined;
  /** random trials before the estimator (default: {@link RANDOM_SHARE} of `trials`, at least {@link RANDOM_TRIALS_MIN}) */
  randomTrials?: number | undefined;
}

/** Validation metrics of a trial (at {@link TUNE_K}). */
export type TrialMetrics = Pick<RankingMetrics, 'precision' | 'map' | 'ndcg'>;

/** One trial of the search, as printed, reported and stored in the manifest. */
export interface TrialRecord {
  trial: number;
  phase: 'baseline' | 'random' | 'tpe';
  settings: TrialSettings;
  status: 'completed' | 'stopped' | 'cut';
  /** why it stopped early */
  reason?: string | undefined;
  iterationsRun: number;
  /** the objective on the validation split at the last iteration run */
  score: number;
  metrics: TrialMetrics;
  /** the objective at each rung reached */
  rungs: { iteration: number; score: number }[];
  seconds: number;
}

/** The search and its choice. */
export interface TuneResult {
  best: TrialRecord;
  trials: TrialRecord[];
  seconds: number;
  objective: TuneObjective;
  budget: { trials: number; minutes: number | undefined };
  validation: { kind: SplitKind; seed: number; trainPairs: number; validationPairs: number; users: number };
  space: SearchSpace;
}

/** Where the search reports each trial. */
export interface TuneReporter {
  info?(line: string): void;
}

/** The validation split, weighted once per scheme. */
class Validation {
  private readonly weighted = new Map<WeightingScheme, { fitted: FittedWeighting; matrix: Csr }>();
  constructor(readonly split: Split) {}

  matrixFor(scheme: WeightingScheme): Csr {
    let found = this.weighted.get(scheme);
    if (!found) {
      const fitted = fitWeighting(this.split.train, weightingOf(scheme));
      found = { fitted, matrix: weightMatrix(this.split.train, fitted) };
      this.weighted.set(scheme, found);
    }
    return found.matrix;
  }

  score(factors: number, model: { userFactors: Float32Array; itemFactors: Float32Array }): TrialMetrics {
    const ranker = alsRanker({ factors, ...model }, this.split.train, TUNE_K);
    const [m] = rankingMetrics(ranker, this.split.test, [TUNE_K]);
    return { precision: m?.precision ?? 0, map: m?.map ?? 0, ndcg: m?.ndcg ?? 0 };
  }
}

/** The median of the scores at each rung so far: the successive-halving bar (eta = 2). */
export class SuccessiveHalving {
  private readonly scores = new Map<number, number[]>();

  /** Why a trial scoring `score` at `iteration` stops, or undefined to go on; records the score. */
  judge(iteration: number, score: number): string | undefined {
    const peers = this.scores.get(iteration) ?? [];
    const sorted = [...peers].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
    peers.push(score);
    this.scores.set(iteration, peers);
    if (sorted.length < MIN_PEERS || score >= median) return undefined;
    return `below the median ${median.toFixed(4)} of ${sorted.length} trials at iteration ${iteration}`;
  }
}

interface TrialContext {
  validation: Validation;
  rungs: SuccessiveHalving;
  options: TuneOptions;
  deadline: number;
}

/** Trains one trial, scoring it at the rungs and stopping it when it falls behind or time is up. */
async function runTrial(
  ctx: TrialContext,
  trial: number,
  phase: TrialRecord['phase'],
  settings: TrialSettings,
): Promise<TrialRecord> {
  const started = performance.now();
  const objective = ctx.options.objective;
  const rungs: TrialRecord['rungs'] = [];
  let status: TrialRecord['status'] = 'completed';
  let reason: string | undefined;
  let last: { iteration: number; metrics: TrialMetrics } | undefined;
  const params: AlsParams = { ...ctx.options.params, ...settings };
  await trainAls(ctx.validation.matrixFor(settings.weighting), params, {
    onIteration({ iteration, factors }) {
      const model = { userFactors: factors.user, itemFactors: factors.item };
      const final = iteration >= settings.iterations;
      const atRung = RUNGS.includes(iteration);
      const late = !final && Date.now() > ctx.deadline;
      if (!atRung && !final && !late) return true;
      const metrics = ctx.validation.score(settings.factors, model);
      last = { iteration, metrics };
      if (atRung) {
        rungs.push({ iteration, score: metrics[objective] });
        const verdict = ctx.rungs.judge(iteration, metrics[objective]);
        if (verdict && !final) {
          [status, reason] = ['stopped', verdict];
          return false;
        }
      }
      if (late) [status, reason] = ['cut', 'time budget spent'];
      return !late;
    },
  });
  const metrics = last?.metrics ?? { precision: 0, map: 0, ndcg: 0 };
  return {
    trial,
    phase,
    settings,
    status,
    reason,
    iterationsRun: last?.iteration ?? 0,
    score: metrics[objective],
    metrics,
    rungs,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The trial that wins: the best completed score, then fewer factors, then earlier. */
function bestOf(trials: readonly TrialRecord[]): TrialRecord | undefined {
  const completed = trials.filter((t) => t.status === 'completed');
  const pool = completed.length > 0 ? completed : trials;
  return [...pool].sort(
    (a, b) => b.score - a.score || a.settings.factors - b.settings.factors || a.trial - b.trial,
  )[0];
}

/** The next trial's settings: the baseline, random ones, then the estimator's proposals. */
function nextSettings(
  trial: number,
  options: TuneOptions,
  space: SearchSpace,
  rng: Rng,
  done: readonly TrialRecord[],
): { phase: TrialRecord['phase']; settings: TrialSettings } {
  if (trial === 1) {
    const { factors, regularization, alpha, iterations } = options.params;
    const settings = { factors, regularization, alpha, iterations, weighting: options.baseWeighting };
    return { phase: 'baseline', settings };
  }
  const seen = new Set(done.map((t) => settingsKey(t.settings)));
  const guided =
    trial > (options.randomTrials ?? Math.max(RANDOM_TRIALS_MIN, Math.ceil(options.trials * RANDOM_SHARE)));
  const observations = done.map((t) => ({
    settings: t.settings,
    score: t.score,
    completed: t.status === 'completed',
  }));
  for (let attempt = 0; ; attempt++) {
    const settings = guided ? proposeTpe(observations, space, rng) : sampleSettings(space, rng);
    if (!seen.has(settingsKey(settings)) || attempt >= 20)
      return { phase: guided ? 'tpe' : 'random', settings };
  }
}

/** One printed line per trial. */
export function formatTrial(t: TrialRecord, of: number): string {
  const m = t.metrics;
  const note = t.status === 'completed' ? '' : `  (${t.status} at iteration ${t.iterationsRun}: ${t.reason})`;
  return (
    `trial ${String(t.trial).padStart(String(of).length)}/${of} ${t.phase.padEnd(8)} ${describeSettings(t.settings)}` +
    ` -> P@10 ${m.precision.toFixed(4)}, MAP ${m.map.toFixed(4)}, NDCG ${m.ndcg.toFixed(4)}, ${t.seconds.toFixed(1)} s${note}`
  );
}

/** The validation split: the test split's rule applied to the train part (seed + 1). */
export function validationSplit(part: TrainPart): Split {
  return splitOf(part.kind, part, part.seed + 1);
}

/**
 * Searches for the settings with the best validation score on the train part of a split.
 * @param part - the train part only: the test split is not an input, so it cannot be read
 * @param options - budget, objective, the run's settings (trial 1) and the fixed ALS settings
 * @example
 * const result = await tuneHyperparameters({ ...ids, matrix: split.train, kind: 'random', seed: 42 }, options);
 * result.best.settings; // { factors: 48, regularization: 30.2, alpha: 0.91, iterations: 12, weighting: 'none' }
 */
export async function tuneHyperparameters(
  part: TrainPart,
  options: TuneOptions,
  reporter: TuneReporter = {},
): Promise<TuneResult> {
  const started = Date.now();
  const space = options.space ?? DEFAULT_SEARCH_SPACE;
  const split = validationSplit(part);
  if (split.testPairs === 0) throw new RangeError('no user has enough train pairs for a validation split');
  const ctx: TrialContext = {
    validation: new Validation(split),
    rungs: new SuccessiveHalving(),
    options,
    deadline: options.minutes === undefined ? Number.POSITIVE_INFINITY : started + options.minutes * 60_000,
  };
  reporter.info?.(
    `Tuning: ${options.trials} trials${options.minutes === undefined ? '' : ` or ${options.minutes} min`}, maximising validation ${options.objective}@${TUNE_K} on ${split.testPairs} pairs held out of the train part (${split.kind} split, seed ${split.seed})`,
  );
  const rng = createRng(options.seed ?? options.params.seed);
  const trials: TrialRecord[] = [];
  for (let trial = 1; trial <= options.trials && (trial === 1 || Date.now() <= ctx.deadline); trial++) {
    const { phase, settings } = nextSettings(trial, options, space, rng, trials);
    const record = await runTrial(ctx, trial, phase, settings);
    trials.push(record);
    reporter.info?.(formatTrial(record, options.trials));
  }
  const best = bestOf(trials) as TrialRecord;
  const seconds = (Date.now() - started) / 1000;
  reporter.info?.(
    `Chosen (trial ${best.trial}, ${trials.length} trials in ${seconds.toFixed(1)} s): ${describeSettings(best.settings)}`,
  );
  return {
    best,
    trials,
    seconds,
    objective: options.objective,
    budget: { trials: options.trials, minutes: options.minutes },
    validation: {
      kind: split.kind,
      seed: split.seed,
      trainPairs: split.trainPairs,
      validationPairs: split.testPairs,
      users: split.testUsers,
    },
    space,
  };
}
