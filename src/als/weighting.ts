/**
 * Confidence weighting of the interaction matrix before ALS, with the definitions of the `implicit`
 * library's `bm25_weight` and `tfidf_weight` (implicit/nearest_neighbours.py, 0.7.2). implicit applies
 * them to the item x user matrix (its examples weigh `artist_user_plays` / movie x user ratings, then
 * transpose for `fit`): items are the "documents", users the "terms". On our user x item matrix that is:
 *
 * - N = number of items; idf of user u = ln(N) - ln(1 + n_u), n_u = stored entries in u's row
 * - bm25 (K1 = 100, B = 0.8 by default): length_norm_i = (1 - B) + B * s_i / mean(s), s_i = sum of item
 *   i's values over users (the mean over every item), and x -> x (K1 + 1) / (K1 length_norm_i + x) * idf_u
 * - tfidf: x -> sqrt(x) * idf_u
 *
 * Training weighs the matrix once; serving weighs a user's watch history (fold-in, explanations) with
 * the same numbers: N, and for bm25 K1, B and each item's length norm, stored in the artifact.
 * @module
 */
import type { Csr, FittedWeighting, Weighting } from '../core/model-data.js';

export type { FittedWeighting, Weighting } from '../core/model-data.js';

/** BM25 defaults of implicit's `bm25_weight`. */
export const BM25_DEFAULTS: Readonly<{ k1: number; b: number }> = Object.freeze({ k1: 100, b: 0.8 });

/** The weighting schemes `--weighting` accepts. */
export const WEIGHTING_SCHEMES = ['none', 'bm25', 'tfidf'] as const;
export type WeightingScheme = (typeof WEIGHTING_SCHEMES)[number];

/** The weighting named on the command line, with bm25's defaults. */
export function weightingOf(scheme: WeightingScheme, bm25: { k1?: number; b?: number } = {}): Weighting {
  if (scheme === 'bm25') return { scheme, k1: bm25.k1 ?? BM25_DEFAULTS.k1, b: bm25.b ?? BM25_DEFAULTS.b };
  return { scheme };
}

/** bm25's length_norm per item: (1 - B) + B * s_i / mean(s), s_i the item's value sum over users. */
function lengthNorms(m: Csr, b: number): Float64Array {
  const sums = new Float64Array(m.cols);
  const nnz = m.indptr[m.rows] as number;
  for (let p = 0; p < nnz; p++) {
    const item = m.indices[p] as number;
    sums[item] = (sums[item] as number) + (m.data[p] as number);
  }
  let total = 0;
  for (const s of sums) total += s;
  const average = total / m.cols;
  return sums.map((s) => 1 - b + (b * s) / average);
}

/**
 * Fits a weighting to the matrix it will weigh (the numbers that depend on all users: N and, for
 * bm25, the items' length norms).
 * @example
 * const fitted = fitWeighting(train, { scheme: 'bm25', k1: 100, b: 0.8 });
 * const weighted = weightMatrix(train, fitted);
 */
export function fitWeighting(m: Csr, weighting: Weighting): FittedWeighting {
  if (weighting.scheme !== 'bm25') return { weighting, items: m.cols };
  return { weighting, items: m.cols, itemNorms: lengthNorms(m, weighting.b) };
}

/** ln(N) - ln(1 + n): implicit's idf, here of a user with `entries` interactions. */
export function userIdf(items: number, entries: number): number {
  return Math.log(items) - Math.log1p(entries);
}

/**
 * The weighted value of one interaction: `value` of `item` in the row of a user with `entries`
 * interactions in all.
 */
export function weightValue(fitted: FittedWeighting, item: number, value: number, entries: number): number {
  const w = fitted.weighting;
  if (w.scheme === 'none') return value;
  const idf = userIdf(fitted.items, entries);
  if (w.scheme === 'tfidf') return Math.sqrt(value) * idf;
  const norm = fitted.itemNorms?.[item];
  if (norm === undefined) throw new RangeError(`bm25 weighting has no length norm for item ${item}`);
  return ((value * (w.k1 + 1)) / (w.k1 * norm + value)) * idf;
}

/**
 * Weighs one user's row: `values[j]` of `items[j]`, the row having `items.length` entries.
 * @returns float64 weighted values (training stores them as float32)
 */
export function weightRow(
  fitted: FittedWeighting,
  items: ArrayLike<number>,
  values: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(items.length);
  for (let j = 0; j < items.length; j++)
    out[j] = weightValue(fitted, items[j] as number, values[j] as number, items.length);
  return out;
}

/** The matrix with every row weighed (same structure; float32 values). `none` returns `m` itself. */
export function weightMatrix(m: Csr, fitted: FittedWeighting): Csr {
  if (fitted.weighting.scheme === 'none') return m;
  const data = new Float32Array(m.data.length);
  for (let u = 0; u < m.rows; u++) {
    const start = m.indptr[u] as number;
    const end = m.indptr[u + 1] as number;
    const row = weightRow(fitted, m.indices.subarray(start, end), m.data.subarray(start, end));
    data.set(row, start);
  }
  return { rows: m.rows, cols: m.cols, indptr: m.indptr, indices: m.indices, data };
}
