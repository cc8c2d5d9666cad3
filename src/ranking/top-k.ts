/**
 * Top-k selection by partial selection: a bounded min-heap of the k best seen so far, fused with the
 * scoring loop so each row is scored and either dropped at once or inserted in O(log k). No full sort,
 * no score array. Ties go to the lower index, so results are deterministic.
 * @module
 */
import { DOT_BLOCK, type DotKernel } from '../kernels/dot-kernel.js';

/** The k best rows, best first. */
export interface TopK {
  indices: Int32Array;
  scores: Float64Array;
}

/** Which rows may be returned, and how scores are scaled. */
export interface SelectOptions {
  /** Ascending row indices to consider (allow-list, metadata filter); every row when absent. */
  candidates?: Int32Array | undefined;
  /** Ascending row indices never returned (watched, excluded, the query video itself). */
  excluded?: Int32Array | undefined;
  /** Per-row factor applied to the dot product, e.g. inverse norms for cosine similarity. */
  rowScale?: Float32Array | undefined;
  /**
   * A WebAssembly kernel over a copy of the same matrix ({@link createDotKernel}); same scores bit for
   * bit, several times faster. Ignored when its shape differs from the matrix's.
   */
  kernel?: DotKernel | undefined;
}

/** Bounded heap whose root is the worst kept entry: lowest score, then highest index. */
class BoundedHeap {
  readonly scores: Float64Array;
  readonly indices: Int32Array;
  size = 0;

  constructor(readonly capacity: number) {
    this.scores = new Float64Array(capacity);
    this.indices = new Int32Array(capacity);
  }

  /** True when (score, index) would enter the heap. */
  admits(score: number, index: number): boolean {
    if (this.size < this.capacity) return !Number.isNaN(score);
    const root = this.scores[0] as number;
    return score > root || (score === root && index < (this.indices[0] as number));
  }

  push(score: number, index: number): void {
    const s = this.scores;
    const ix = this.indices;
    if (this.size < this.capacity) {
      let pos = this.size++;
      while (pos > 0) {
        const parent = (pos - 1) >> 1;
        if (!worse(score, index, s[parent] as number, ix[parent] as number)) break;
        s[pos] = s[parent] as number;
        ix[pos] = ix[parent] as number;
        pos = parent;
      }
      s[pos] = score;
      ix[pos] = index;
      return;
    }
    this.replaceRoot(score, index, this.size);
  }

  /** Puts (score, index) at the root of the first `n` slots and sifts it down. */
  private replaceRoot(score: number, index: number, n: number): void {
    const s = this.scores;
    const ix = this.indices;
    let pos = 0;
    for (;;) {
      const left = 2 * pos + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (
        right < n &&
        worse(s[right] as number, ix[right] as number, s[left] as number, ix[left] as number)
      ) {
        child = right;
      }
      if (!worse(s[child] as number, ix[child] as number, score, index)) break;
      s[pos] = s[child] as number;
      ix[pos] = ix[child] as number;
      pos = child;
    }
    s[pos] = score;
    ix[pos] = index;
  }

  /** The kept entries, best first: pops the worst into the last free slot (k log k, no closures). */
  drain(): TopK {
    const s = this.scores;
    const ix = this.indices;
    const n = this.size;
    const indices = new Int32Array(n);
    const scores = new Float64Array(n);
    for (let last = n - 1; last >= 0; last--) {
      indices[last] = ix[0] as number;
      scores[last] = s[0] as number;
      // Move the last entry to the root and sift it down over the shrunken heap.
      this.replaceRoot(s[last] as number, ix[last] as number, last);
    }
    this.size = 0;
    return { indices, scores };
  }
}

function worse(sa: number, ia: number, sb: number, ib: number): boolean {
  return sa < sb || (sa === sb && ia > ib);
}

/** Binary search in an ascending Int32Array. */
export function sortedHas(sorted: Int32Array | undefined, value: number): boolean {
  if (!sorted) return false;
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid] as number;
    if (v === value) return true;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/**
 * Dot product of row `row` of a row-major matrix with `query`. Eight products per step into four
 * accumulators hide add latency; measured faster than 1, 4 or 8 accumulators (bench/core.ts).
 */
function dotRow(m: Float32Array, dim: number, row: number, q: Float64Array): number {
  const off = row * dim;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let f = 0;
  for (; f + 7 < dim; f += 8) {
    const o = off + f;
    s0 += (m[o] as number) * (q[f] as number) + (m[o + 4] as number) * (q[f + 4] as number);
    s1 += (m[o + 1] as number) * (q[f + 1] as number) + (m[o + 5] as number) * (q[f + 5] as number);
    s2 += (m[o + 2] as number) * (q[f + 2] as number) + (m[o + 6] as number) * (q[f + 6] as number);
    s3 += (m[o + 3] as number) * (q[f + 3] as number) + (m[o + 7] as number) * (q[f + 7] as number);
  }
  for (; f < dim; f++) s0 += (m[off + f] as number) * (q[f] as number);
  return s0 + s1 + (s2 + s3);
}

/**
 * The k rows of a row-major matrix with the largest dot product with `query`.
 * @param matrix - rows x dim, row-major
 * @param dim - row length
 * @param query - the vector to score against (length dim)
 * @param k - how many to keep; fewer come back when fewer rows qualify
 * @param options - candidate rows, excluded rows, per-row scale
 * @example
 * const { indices, scores } = topKDot(itemFactors, 64, userVector, 10, { excluded: watched });
 */
export function topKDot(
  matrix: Float32Array,
  dim: number,
  query: ArrayLike<number>,
  k: number,
  options: SelectOptions = {},
): TopK {
  const rows = dim === 0 ? 0 : Math.floor(matrix.length / dim);
  const heap = new BoundedHeap(Math.max(0, Math.min(k, rows)));
  if (heap.capacity === 0) return heap.drain();
  const { candidates, excluded, rowScale, kernel } = options;
  const count = candidates ? candidates.length : rows;
  if (kernel && kernel.dim === dim && kernel.rows === rows) {
    kernel.setQuery(query);
    let worstScore = Number.NEGATIVE_INFINITY;
    let worstRow = -1;
    for (let start = 0; start < count; start += DOT_BLOCK) {
      const n = Math.min(DOT_BLOCK, count - start);
      const scores = candidates
        ? kernel.scoreRows(candidates.subarray(start, start + n))
        : kernel.scoreRange(start, n);
      for (let i = 0; i < n; i++) {
        const row = candidates ? (candidates[start + i] as number) : start + i;
        let score = scores[i] as number;
        if (rowScale) score *= rowScale[row] as number;
        // Most rows lose to the worst kept entry: test that with locals before touching the heap.
        if (
          heap.size === heap.capacity &&
          !(score > worstScore || (score === worstScore && row < worstRow))
        ) {
          continue;
        }
        if (heap.admits(score, row) && !sortedHas(excluded, row)) {
          heap.push(score, row);
          worstScore = heap.scores[0] as number;
          worstRow = heap.indices[0] as number;
        }
      }
    }
    return heap.drain();
  }
  const q = Float64Array.from(query);
  for (let c = 0; c < count; c++) {
    const row = candidates ? (candidates[c] as number) : c;
    let score = dotRow(matrix, dim, row, q);
    if (rowScale) score *= rowScale[row] as number;
    if (heap.admits(score, row) && !sortedHas(excluded, row)) heap.push(score, row);
  }
  return heap.drain();
}

/**
 * The k entries with the largest value (e.g. popularity), same rules as {@link topKDot}.
 * @example
 * const top = topKValues(popularity, 5, { excluded: watched });
 */
export function topKValues(values: ArrayLike<number>, k: number, options: SelectOptions = {}): TopK {
  const heap = new BoundedHeap(Math.max(0, Math.min(k, values.length)));
  if (heap.capacity === 0) return heap.drain();
  const { candidates, excluded, rowScale } = options;
  const count = candidates ? candidates.length : values.length;
  for (let c = 0; c < count; c++) {
    const row = candidates ? (candidates[c] as number) : c;
    let score = values[row] as number;
    if (rowScale) score *= rowScale[row] as number;
    if (heap.admits(score, row) && !sortedHas(excluded, row)) heap.push(score, row);
  }
  return heap.drain();
}
