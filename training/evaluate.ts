/**
 * Offline evaluation: rank videos for each held-out user with the ALS factors and with the most-popular
 * baseline, leaving out the user's train videos, and score both with {@link rankingMetrics}. Ranking goes
 * through the serving code (src/ranking/top-k.ts, with the WebAssembly dot kernel as the recommender
 * uses it), so what is measured is what is served.
 * @module
 */
import type { Csr } from '../src/core/model-data.js';
import { videoPopularity } from '../src/core/popularity.js';
import { createDotKernel } from '../src/kernels/dot-kernel.js';
import { topKDot, topKValues } from '../src/ranking/index.js';
import { cutoffs, type RankingMetrics, rankingMetrics } from './metrics.js';

/** Metrics at k = 1..maxK for the model and the baseline. */
export interface Evaluation {
  als: RankingMetrics[];
  popularity: RankingMetrics[];
}

/** Factors as the evaluation reads them (row-major float32, `factors` columns). */
export interface FactorModel {
  factors: number;
  userFactors: Float32Array;
  itemFactors: Float32Array;
}

/** A user's ranked video indices, best first. */
export type Ranker = (user: number) => Int32Array;

/** The user's train videos: ascending, as the top-k `excluded` option needs. */
function trainRow(train: Csr, user: number): Int32Array {
  return train.indices.subarray(train.indptr[user] as number, train.indptr[user + 1] as number);
}

/**
 * Ranks videos by dot product with the user's factors, leaving out the user's train videos; ties go to
 * the lower video index.
 * @param model - factors trained on `train`
 * @param train - user x video train part; row `u` lists what user `u` is not recommended
 * @param k - list length
 */
export function alsRanker(model: FactorModel, train: Csr, k: number): Ranker {
  const { factors, userFactors, itemFactors } = model;
  const kernel = createDotKernel(itemFactors, factors);
  return (user) => {
    const query = userFactors.subarray(user * factors, (user + 1) * factors);
    return topKDot(itemFactors, factors, query, k, { excluded: trainRow(train, user), kernel }).indices;
  };
}

/**
 * Ranks videos by {@link videoPopularity} of the train part (distinct users per video), leaving out the
 * user's train videos; ties go to the lower video index.
 * @param train - user x video train part
 * @param k - list length
 */
export function popularityRanker(train: Csr, k: number): Ranker {
  const popularity = videoPopularity(train);
  return (user) => topKValues(popularity, k, { excluded: trainRow(train, user) }).indices;
}

/**
 * Evaluates a trained model and the most-popular baseline on a held-out split at k = 1..maxK.
 * @param model - factors trained on `train` only
 * @param train - the rows' train items, left out of each ranking
 * @param test - the held-out items
 */
export function evaluateSplit(model: FactorModel, train: Csr, test: Csr, maxK = 20): Evaluation {
  const ks = cutoffs(maxK);
  return {
    als: rankingMetrics(alsRanker(model, train, maxK), test, ks),
    popularity: rankingMetrics(popularityRanker(train, maxK), test, ks),
  };
}
