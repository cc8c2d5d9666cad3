/**
 * An inverted-file (IVF) index for maximum-inner-product search over item factors: the first pass of
 * scoring at catalogue scale. Items are clustered once, at training time; a query scores the cluster
 * centroids, scans the best `nprobe` clusters exactly (float32 factors, the same kernel and heap as an
 * exhaustive scan) and never the rest, so a request touches a few percent of a large catalogue.
 *
 * Inner products are not distances, so items are first mapped to unit vectors with one more
 * coordinate, x -> [x / M, sqrt(1 - |x|² / M²)] (M the largest norm; Bachrach et al. 2014, "Speeding
 * up the Xbox recommender system using a Euclidean transformation"), where the largest inner product
 * with [q, 0] is the nearest neighbour. Spherical k-means clusters those; the artifact stores the
 * items in cluster order, so each cluster is one contiguous row range.
 * @module
 */
import { createRng, type Rng } from '../core/random.js';
import { createDotKernel, DOT_BLOCK, type DotKernel } from '../kernels/dot-kernel.js';
import { dotRow, type ListScan, topKDot, topKValues } from './top-k.js';

/** Below this many items an exhaustive scan is fast enough (~2 ms at 100k x 64) and exact. */
export const IVF_MIN_ITEMS = 50_000;
/** Recall@10 against exact scoring that the default `nprobe` must reach on the tuning queries. */
export const IVF_TARGET_RECALL = 0.995;

/** A built index: the item order to store, and the clusters as row ranges of that order. */
export interface IvfIndex {
  /** new row -> original item index */
  order: Int32Array;
  /** lists x dim: each centroid's first `dim` coordinates (the query's extra one is 0) */
  centroids: Float32Array;
  /** list l holds new rows offsets[l] .. offsets[l + 1] - 1 */
  offsets: Int32Array;
  lists: number;
  nprobe: number;
  /** mean recall@10 at `nprobe` over the tuning queries, against exact scoring */
  recallAt10: number;
  queries: number;
}

/** Build settings; every field has a default. */
export interface IvfOptions {
  /** number of clusters; default about sqrt(items), within 16..4096 */
  lists?: number;
  /** k-means iterations over the sample; default 8 */
  iterations?: number;
  /** points k-means trains on; default 64 per list */
  sampleSize?: number;
  seed?: number;
  /** rows x dim vectors to tune nprobe on (e.g. trained user factors); default: sampled items */
  queries?: Float32Array;
  /**
   * most tuning queries used; default 1000. Recall near 0.995 is a tail estimate: with 200 queries
   * the tuned nprobe left recall@10 over all users at 0.988..0.990 on two of six synthetic catalogues
   */
  maxQueries?: number;
  targetRecall?: number;
}

function norms(items: Float32Array, dim: number, rows: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let sq = 0;
    for (let j = r * dim; j < (r + 1) * dim; j++) sq += (items[j] as number) ** 2;
    out[r] = Math.sqrt(sq);
  }
  return out;
}

/** The augmented unit vector of row r, written into `out` (length dim + 1). */
function augment(
  items: Float32Array,
  dim: number,
  r: number,
  norm: number,
  maxNorm: number,
  out: Float64Array,
): void {
  for (let j = 0; j < dim; j++) out[j] = (items[r * dim + j] as number) / maxNorm;
  const rest = 1 - (norm / maxNorm) ** 2;
  out[dim] = rest > 0 ? Math.sqrt(rest) : 0;
}

function sampleRows(rows: number, size: number, rng: Rng): Int32Array {
  const all = Int32Array.from({ length: rows }, (_, i) => i);
  const n = Math.min(rows, size);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rng() * (rows - i));
    const t = all[i] as number;
    all[i] = all[j] as number;
    all[j] = t;
  }
  return all.slice(0, n).sort();
}

/** Assigns each augmented point to its best centroid (largest dot product with the unit centroid). */
class Assigner {
  private readonly kernel: DotKernel | undefined;
  private readonly point: Float64Array;

  constructor(
    private readonly centroids: Float32Array,
    private readonly width: number,
    private readonly lists: number,
  ) {
    this.kernel = createDotKernel(centroids, width);
    this.point = new Float64Array(width);
  }

  best(items: Float32Array, dim: number, r: number, norm: number, maxNorm: number): number {
    augment(items, dim, r, norm, maxNorm, this.point);
    let best = 0;
    let bestScore = Number.NEGATIVE_INFINITY;
    if (this.kernel) {
      this.kernel.setQuery(this.point);
      for (let first = 0; first < this.lists; first += DOT_BLOCK) {
        const n = Math.min(DOT_BLOCK, this.lists - first);
        const scores = this.kernel.scoreRange(first, n);
        for (let i = 0; i < n; i++) {
          if ((scores[i] as number) > bestScore) {
            bestScore = scores[i] as number;
            best = first + i;
          }
        }
      }
      return best;
    }
    for (let l = 0; l < this.lists; l++) {
      // The kernel's summation order, so the index (and the artifact) is the same without SIMD.
      const s = dotRow(this.centroids, this.width, l, this.point);
      if (s > bestScore) {
        bestScore = s;
        best = l;
      }
    }
    return best;
  }
}

/** Spherical k-means on the augmented sample; returns lists x (dim + 1) unit centroids. */
function kMeans(
  items: Float32Array,
  dim: number,
  itemNorms: Float64Array,
  maxNorm: number,
  sample: Int32Array,
  lists: number,
  iterations: number,
  rng: Rng,
): Float32Array {
  const width = dim + 1;
  const centroids = new Float32Array(lists * width);
  const point = new Float64Array(width);
  const seeds = sampleRows(sample.length, lists, rng);
  seeds.forEach((s, l) => {
    const r = sample[s] as number;
    augment(items, dim, r, itemNorms[r] as number, maxNorm, point);
    for (let j = 0; j < width; j++) centroids[l * width + j] = point[j] as number;
  });
  const sums = new Float64Array(lists * width);
  const sizes = new Int32Array(lists);
  for (let it = 0; it < iterations; it++) {
    const assigner = new Assigner(centroids, width, lists);
    sums.fill(0);
    sizes.fill(0);
    for (const r of sample) {
      const l = assigner.best(items, dim, r, itemNorms[r] as number, maxNorm);
      augment(items, dim, r, itemNorms[r] as number, maxNorm, point);
      for (let j = 0; j < width; j++)
        sums[l * width + j] = (sums[l * width + j] as number) + (point[j] as number);
      sizes[l] = (sizes[l] as number) + 1;
    }
    for (let l = 0; l < lists; l++) {
      if (sizes[l] === 0) {
        // An empty cluster restarts at a random sample point rather than staying dead.
        const r = sample[Math.floor(rng() * sample.length)] as number;
        augment(items, dim, r, itemNorms[r] as number, maxNorm, point);
        for (let j = 0; j < width; j++) centroids[l * width + j] = point[j] as number;
        continue;
      }
      let sq = 0;
      for (let j = 0; j < width; j++) sq += (sums[l * width + j] as number) ** 2;
      const scale = sq > 0 ? 1 / Math.sqrt(sq) : 0;
      for (let j = 0; j < width; j++) centroids[l * width + j] = (sums[l * width + j] as number) * scale;
    }
  }
  return centroids;
}

/** Counting sort of rows by list: the new row order and the list offsets. */
function groupByList(assignment: Int32Array, lists: number): { order: Int32Array; offsets: Int32Array } {
  const offsets = new Int32Array(lists + 1);
  for (const l of assignment) offsets[l + 1] = (offsets[l + 1] as number) + 1;
  for (let l = 0; l < lists; l++) offsets[l + 1] = (offsets[l + 1] as number) + (offsets[l] as number);
  const cursor = offsets.slice(0, lists);
  const order = new Int32Array(assignment.length);
  assignment.forEach((l, r) => {
    order[cursor[l] as number] = r;
    cursor[l] = (cursor[l] as number) + 1;
  });
  return { order, offsets };
}

/** The list ranks, for each query, of the lists holding its exact top-10; recall at p follows from them. */
function tuneProbes(
  items: Float32Array,
  dim: number,
  queries: Float32Array,
  assignment: Int32Array,
  centroids: Float32Array,
  lists: number,
  target: number,
): { nprobe: number; recall: number; queries: number } {
  const count = Math.floor(queries.length / dim);
  const itemKernel = createDotKernel(items, dim);
  const hits = new Int32Array(lists + 1);
  let total = 0;
  for (let q = 0; q < count; q++) {
    const query = queries.subarray(q * dim, (q + 1) * dim);
    const exact = topKDot(items, dim, query, 10, { kernel: itemKernel });
    const listScores = centroidScores(centroids, dim, lists, query);
    const rank = new Int32Array(lists);
    topKValues(listScores, lists).indices.forEach((l, position) => {
      rank[l] = position;
    });
    for (const row of exact.indices) hits[(rank[assignment[row] as number] as number) + 1]! += 1;
    total += exact.indices.length;
  }
  let covered = 0;
  for (let p = 1; p <= lists; p++) {
    covered += hits[p] as number;
    const recall = total === 0 ? 1 : covered / total;
    if (recall >= target || p === lists) return { nprobe: p, recall, queries: count };
  }
  return { nprobe: lists, recall: 1, queries: count };
}

/** Scores of every centroid for a query (first dim coordinates; the query's extra one is 0). */
export function centroidScores(
  centroids: Float32Array,
  dim: number,
  lists: number,
  query: ArrayLike<number>,
  kernel?: DotKernel,
): Float64Array {
  const out = new Float64Array(lists);
  if (kernel && kernel.rows === lists && kernel.dim === dim) {
    kernel.setQuery(query);
    for (let first = 0; first < lists; first += DOT_BLOCK) {
      const n = Math.min(DOT_BLOCK, lists - first);
      out.set(kernel.scoreRange(first, n).subarray(0, n), first);
    }
    return out;
  }
  // The kernel's summation order, so lists are probed in the same order without SIMD.
  const q = Float64Array.from({ length: dim }, (_, j) => query[j] as number);
  for (let l = 0; l < lists; l++) out[l] = dotRow(centroids, dim, l, q);
  return out;
}

/**
 * Clusters `items` (rows x dim) into an IVF index and picks the smallest `nprobe` whose recall@10
 * against exact scoring reaches `targetRecall` on the tuning queries.
 * @example
 * const index = buildIvf(itemFactors, 64, { queries: userFactors });
 * // store items in index.order; probe index.nprobe lists per request
 */
export function buildIvf(items: Float32Array, dim: number, options: IvfOptions = {}): IvfIndex {
  const rows = Math.floor(items.length / dim);
  const lists = Math.max(
    1,
    Math.min(rows, options.lists ?? Math.min(4096, Math.max(16, Math.round(Math.sqrt(rows))))),
  );
  const rng = createRng(options.seed ?? 42);
  const itemNorms = norms(items, dim, rows);
  const maxNorm = itemNorms.reduce((a, b) => Math.max(a, b), 0) || 1;
  const sample = sampleRows(rows, options.sampleSize ?? lists * 64, rng);
  const full = kMeans(items, dim, itemNorms, maxNorm, sample, lists, options.iterations ?? 8, rng);
  const assigner = new Assigner(full, dim + 1, lists);
  const assignment = new Int32Array(rows);
  for (let r = 0; r < rows; r++)
    assignment[r] = assigner.best(items, dim, r, itemNorms[r] as number, maxNorm);
  const { order, offsets } = groupByList(assignment, lists);
  const centroids = new Float32Array(lists * dim);
  for (let l = 0; l < lists; l++) centroids.set(full.subarray(l * (dim + 1), l * (dim + 1) + dim), l * dim);
  const maxQueries = options.maxQueries ?? 1000;
  const pool = options.queries ?? items;
  const poolRows = Math.floor(pool.length / dim);
  const picked = sampleRows(poolRows, maxQueries, rng);
  const queries = new Float32Array(picked.length * dim);
  picked.forEach((r, i) => {
    queries.set(pool.subarray(r * dim, (r + 1) * dim), i * dim);
  });
  const tuned = tuneProbes(
    items,
    dim,
    queries,
    assignment,
    centroids,
    lists,
    options.targetRecall ?? IVF_TARGET_RECALL,
  );
  return {
    order,
    centroids,
    offsets,
    lists,
    nprobe: tuned.nprobe,
    recallAt10: tuned.recall,
    queries: tuned.queries,
  };
}

/** A loaded index, as the artifact stores it (rows already in list order). */
export interface IvfView {
  centroids: Float32Array;
  offsets: Int32Array;
  lists: number;
  dim: number;
}

/**
 * The lists a query scans: the `nprobe` best by centroid score, then (only when asked, for filtered
 * queries that found fewer than k) all the others, best first.
 */
export function probeLists(
  view: IvfView,
  query: ArrayLike<number>,
  nprobe: number,
  kernel?: DotKernel,
): ListScan {
  const scores = centroidScores(view.centroids, view.dim, view.lists, query, kernel);
  const probes = topKValues(scores, Math.min(nprobe, view.lists)).indices;
  return {
    offsets: view.offsets,
    probes,
    more: () => {
      const all = topKValues(scores, view.lists).indices;
      return all.subarray(probes.length);
    },
  };
}
