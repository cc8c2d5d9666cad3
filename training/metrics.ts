/**
 * Ranking metrics with the definitions of the `implicit` library (`implicit.evaluation.ranking_metrics_at_k`,
 * 0.7), computed for many cut-offs k from one ranked list per user:
 *
 * - precision@k = sum over users of hits / sum over users of min(k, |test_u|)   (implicit's "precision")
 * - MAP@k = mean over users of (sum over hit ranks i of hits_so_far / i) / min(k, |test_u|)
 * - NDCG@k = mean over users of DCG@k / IDCG, binary gains 1 / log2(rank + 1), IDCG over min(k, |test_u|) ranks
 * - AUC@k = implicit's top-k approximation: each miss in the top k scores the hits ranked above it, and the
 *   items outside the top k count as tied ((hits + |test_u|) / 2 each), over |test_u| x (items - |test_u|)
 * - plain precision@k = mean(hits / k), recall@k = mean(hits / |test_u|)
 * - coverage@k = distinct items recommended to the evaluated users / catalogue size
 *
 * Users without held-out items are skipped, as implicit does. Missing list slots (fewer than k candidates)
 * count as misses, as implicit's padding does.
 * @module
 */
import type { Csr } from '../src/core/model-data.js';

/** All metrics at one cut-off k. */
export interface RankingMetrics {
  k: number;
  precision: number;
  map: number;
  ndcg: number;
  auc: number;
  plainPrecision: number;
  recall: number;
  coverage: number;
  /** users evaluated (those with held-out items) */
  users: number;
}

/** Metric names in the order tables and charts show them. */
export const METRIC_NAMES = [
  'precision',
  'map',
  'ndcg',
  'auc',
  'plainPrecision',
  'recall',
  'coverage',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Human labels for {@link METRIC_NAMES}. */
export const METRIC_LABELS: Record<MetricName, string> = {
  precision: 'precision (implicit)',
  map: 'MAP',
  ndcg: 'NDCG',
  auc: 'AUC (implicit)',
  plainPrecision: 'plain P',
  recall: 'recall',
  coverage: 'coverage',
};

/** Running sums of one cut-off over the users evaluated so far. */
interface Accumulator {
  k: number;
  relevant: number;
  precisionDivisor: number;
  map: number;
  ndcg: number;
  auc: number;
  plainPrecision: number;
  recall: number;
  covered: Uint8Array;
  coveredCount: number;
}

/** One user's running counts down the ranked list, after rank `i` (0-based). */
interface Walk {
  hits: number;
  misses: number;
  ap: number;
  dcg: number;
  aucPartial: number;
}

/** One user's held-out items: a 0/1 mark per item, and their count against the catalogue. */
interface HeldOut {
  liked: Uint8Array;
  positives: number;
  negatives: number;
}

/** Binary DCG gains 1 / log2(rank + 1) for ranks 1..maxK and the ideal DCG for 1..maxK hits. */
function discounts(maxK: number): { gains: Float64Array; ideal: Float64Array } {
  const gains = Float64Array.from({ length: maxK }, (_, i) => 1 / Math.log2(i + 2));
  const ideal = new Float64Array(maxK);
  let running = 0;
  gains.forEach((gain, i) => {
    running += gain;
    ideal[i] = running;
  });
  return { gains, ideal };
}

function accumulator(k: number, items: number): Accumulator {
  return {
    k,
    relevant: 0,
    precisionDivisor: 0,
    map: 0,
    ndcg: 0,
    auc: 0,
    plainPrecision: 0,
    recall: 0,
    covered: new Uint8Array(items),
    coveredCount: 0,
  };
}

/** Adds one user's metrics at the accumulator's cut-off, from the walk down to rank k. */
function addUser(
  acc: Accumulator,
  walk: Walk,
  user: HeldOut,
  ranked: ArrayLike<number>,
  ideal: Float64Array,
): void {
  const { k } = acc;
  const { hits, misses } = walk;
  const { positives, negatives } = user;
  const cut = Math.min(k, positives);
  acc.relevant += hits;
  acc.precisionDivisor += cut;
  acc.map += walk.ap / cut;
  acc.ndcg += walk.dcg / (ideal[cut - 1] ?? 1);
  // A user who holds out the whole catalogue has no negatives to misorder: count a perfect AUC.
  acc.auc +=
    negatives > 0
      ? (walk.aucPartial + ((hits + positives) / 2) * (negatives - misses)) / (positives * negatives)
      : 1;
  acc.plainPrecision += hits / k;
  acc.recall += hits / positives;
  for (let j = 0; j < Math.min(k, ranked.length); j++) {
    const rec = ranked[j] ?? -1;
    if (rec >= 0 && acc.covered[rec] === 0) {
      acc.covered[rec] = 1;
      acc.coveredCount++;
    }
  }
}

/**
 * Walks one user's ranked list down to the largest cut-off, adding the user to the accumulator of each
 * cut-off on the way (`atK[k]` is its accumulator, or undefined for k not asked).
 */
function walkUser(
  ranked: ArrayLike<number>,
  user: HeldOut,
  gains: Float64Array,
  ideal: Float64Array,
  atK: readonly (Accumulator | undefined)[],
): void {
  const walk: Walk = { hits: 0, misses: 0, ap: 0, dcg: 0, aucPartial: 0 };
  for (let i = 0; i < gains.length; i++) {
    const item = i < ranked.length ? (ranked[i] ?? -1) : -1;
    if (item >= 0 && user.liked[item] === 1) {
      walk.hits++;
      walk.ap += walk.hits / (i + 1);
      walk.dcg += gains[i] ?? 0;
    } else {
      walk.misses++;
      walk.aucPartial += walk.hits;
    }
    const acc = atK[i + 1];
    if (acc) addUser(acc, walk, user, ranked, ideal);
  }
}

/** The metrics of one cut-off once every user is in. */
function finish(acc: Accumulator, users: number, items: number): RankingMetrics {
  const mean = (sum: number): number => (users > 0 ? sum / users : 0);
  return {
    k: acc.k,
    precision: acc.precisionDivisor > 0 ? acc.relevant / acc.precisionDivisor : 0,
    map: mean(acc.map),
    ndcg: mean(acc.ndcg),
    auc: mean(acc.auc),
    plainPrecision: mean(acc.plainPrecision),
    recall: mean(acc.recall),
    coverage: items > 0 ? acc.coveredCount / items : 0,
    users,
  };
}

/**
 * Computes {@link RankingMetrics} at each k in `ks` from ranked recommendations.
 * @param recommend - the ranked item indices for a user (best first, at least max(ks) long or shorter when
 *   fewer candidates exist); called once per user with held-out items
 * @param test - the held-out user x item matrix; its `cols` is the catalogue size
 * @param ks - the cut-offs, distinct, each >= 1 (the result has one row per cut-off, in this order)
 */
export function rankingMetrics(
  recommend: (user: number) => ArrayLike<number>,
  test: Csr,
  ks: readonly number[],
): RankingMetrics[] {
  if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1) || new Set(ks).size < ks.length) {
    throw new RangeError(`cut-offs must be distinct integers >= 1, got [${ks.join(', ')}]`);
  }
  const items = test.cols;
  const { gains, ideal } = discounts(Math.max(...ks));
  const accumulators = ks.map((k) => accumulator(k, items));
  const atK: (Accumulator | undefined)[] = [];
  for (const acc of accumulators) atK[acc.k] = acc;
  const liked = new Uint8Array(items);
  let users = 0;
  for (let u = 0; u < test.rows; u++) {
    const start = test.indptr[u] ?? 0;
    const end = test.indptr[u + 1] ?? 0;
    const positives = end - start;
    if (positives === 0) continue;
    users++;
    for (let p = start; p < end; p++) liked[test.indices[p] ?? 0] = 1;
    walkUser(recommend(u), { liked, positives, negatives: items - positives }, gains, ideal, atK);
    for (let p = start; p < end; p++) liked[test.indices[p] ?? 0] = 0;
  }
  return accumulators.map((acc) => finish(acc, users, items));
}

/** The cut-offs 1..n. */
export function cutoffs(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
