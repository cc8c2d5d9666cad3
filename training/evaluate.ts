/**
 * Offline evaluation: rank items for each held-out user with the ALS factors and with a most-popular
 * baseline, leaving out the user's train items, and score both with {@link rankingMetrics}.
 * @module
 */
import type { Csr } from '../src/core/model-data.js';
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

/**
 * Keeps the best `k` scored candidates (skipping excluded and NaN ones), best first: score descending, then
 * index ascending, so ties break the same way every run.
 */
export function topK(scores: Float32Array | Float64Array, k: number, exclude?: Uint8Array): Int32Array {
  const best = new Int32Array(k).fill(-1);
  const bestScores = new Float64Array(k).fill(Number.NEGATIVE_INFINITY);
  let filled = 0;
  for (let i = 0; i < scores.length; i++) {
    if (exclude && exclude[i] === 1) continue;
    const s = scores[i] ?? Number.NEGATIVE_INFINITY;
    if (Number.isNaN(s)) continue;
    if (filled === k && s <= (bestScores[k - 1] ?? Number.NEGATIVE_INFINITY)) continue;
    let j = filled < k ? filled++ : k - 1;
    while (j > 0 && (bestScores[j - 1] ?? 0) < s) {
      bestScores[j] = bestScores[j - 1] ?? 0;
      best[j] = best[j - 1] ?? -1;
      j--;
    }
    bestScores[j] = s;
    best[j] = i;
  }
  return filled === k ? best : best.subarray(0, filled);
}

/** Ranks items by dot product with the user's factors, leaving out the user's train items. */
export function alsRanker(model: FactorModel, train: Csr, k: number): (user: number) => Int32Array {
  const { factors, userFactors, itemFactors } = model;
  const items = train.cols;
  const scores = new Float32Array(items);
  const seen = new Uint8Array(items);
  return (user) => {
    const base = user * factors;
    for (let i = 0; i < items; i++) {
      let dot = 0;
      const row = i * factors;
      for (let f = 0; f < factors; f++) dot += (userFactors[base + f] ?? 0) * (itemFactors[row + f] ?? 0);
      scores[i] = dot;
    }
    markRow(train, user, seen, 1);
    const ranked = topK(scores, k, seen);
    markRow(train, user, seen, 0);
    return ranked;
  };
}

/** Number of train users per item: the most-popular baseline's ranking signal. */
export function itemUserCounts(train: Csr): Float64Array {
  const counts = new Float64Array(train.cols);
  for (const item of train.indices) counts[item] = (counts[item] ?? 0) + 1;
  return counts;
}

/** Ranks items by train popularity (users per item, ties by index), leaving out the user's train items. */
export function popularityRanker(train: Csr, k: number): (user: number) => Int32Array {
  const counts = itemUserCounts(train);
  const order = topK(counts, train.cols);
  const seen = new Uint8Array(train.cols);
  return (user) => {
    markRow(train, user, seen, 1);
    const ranked = new Int32Array(k);
    let filled = 0;
    for (let p = 0; p < order.length && filled < k; p++) {
      const item = order[p] ?? 0;
      if (seen[item] === 0) ranked[filled++] = item;
    }
    markRow(train, user, seen, 0);
    return ranked.subarray(0, filled);
  };
}

function markRow(m: Csr, row: number, marks: Uint8Array, value: 0 | 1): void {
  for (let p = m.indptr[row] ?? 0; p < (m.indptr[row + 1] ?? 0); p++) marks[m.indices[p] ?? 0] = value;
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
