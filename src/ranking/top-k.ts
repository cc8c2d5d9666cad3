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
 * accumulators hide add latency; measured faster than 1, 4 or 8 accumulators (bench/core.ts). The
 * summation order is the WebAssembly kernel's (dot.c), so every JS fallback that uses this function
 * gives the kernel's results bit for bit.
 */
export function dotRow(m: Float32Array, dim: number, row: number, q: Float64Array): number {
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
 * Scores rows of one matrix against one query into one heap, over as many ranges or row lists as the
 * caller needs (all rows, a candidate list, or the lists of an ANN index), with the same admission
 * rules everywhere: finite scores, the worst kept entry tested first, `excluded` and `within` checked
 * only for rows that would enter.
 */
class DotScan {
  private readonly q: Float64Array | undefined;
  private readonly kernel: DotKernel | undefined;
  private worstScore = Number.NEGATIVE_INFINITY;
  private worstRow = -1;

  constructor(
    readonly heap: BoundedHeap,
    private readonly matrix: Float32Array,
    private readonly dim: number,
    query: ArrayLike<number>,
    private readonly options: SelectOptions & { within?: Int32Array | undefined },
  ) {
    const rows = dim === 0 ? 0 : Math.floor(matrix.length / dim);
    const kernel = options.kernel;
    if (kernel && kernel.dim === dim && kernel.rows === rows) {
      this.kernel = kernel;
      kernel.setQuery(query);
    } else this.q = Float64Array.from(query);
  }

  /** Rows start .. end - 1. */
  range(start: number, end: number): void {
    const kernel = this.kernel;
    if (!kernel) {
      const scale = this.options.rowScale;
      for (let row = start; row < end; row++) {
        const raw = dotRow(this.matrix, this.dim, row, this.q!);
        this.offer(scale ? raw * (scale[row] as number) : raw, row);
      }
      return;
    }
    const scale = this.options.rowScale;
    for (let first = start; first < end; first += DOT_BLOCK) {
      const n = Math.min(DOT_BLOCK, end - first);
      const scores = kernel.scoreRange(first, n);
      // The hot loop: most rows lose to the worst kept entry, tested on locals before any call.
      let worst = this.worstScore;
      for (let i = 0; i < n; i++) {
        const row = first + i;
        const score = scale ? (scores[i] as number) * (scale[row] as number) : (scores[i] as number);
        if (score < worst || (score === worst && row > this.worstRow)) continue;
        this.offer(score, row);
        worst = this.worstScore;
      }
    }
  }

  /** The listed rows (ascending). */
  rows(list: Int32Array): void {
    const kernel = this.kernel;
    if (!kernel) {
      const scale = this.options.rowScale;
      for (const row of list) {
        const raw = dotRow(this.matrix, this.dim, row, this.q!);
        this.offer(scale ? raw * (scale[row] as number) : raw, row);
      }
      return;
    }
    const scale = this.options.rowScale;
    for (let first = 0; first < list.length; first += DOT_BLOCK) {
      const part = list.subarray(first, Math.min(list.length, first + DOT_BLOCK));
      const scores = kernel.scoreRows(part);
      let worst = this.worstScore;
      for (let i = 0; i < part.length; i++) {
        const row = part[i] as number;
        const score = scale ? (scores[i] as number) * (scale[row] as number) : (scores[i] as number);
        if (score < worst || (score === worst && row > this.worstRow)) continue;
        this.offer(score, row);
        worst = this.worstScore;
      }
    }
  }

  /** True once k rows have qualified (enough for a list scan to stop). */
  full(): boolean {
    return this.heap.size === this.heap.capacity;
  }

  /** The k best, best first. */
  finish(): TopK {
    return this.heap.drain();
  }

  /** A scaled score that may beat the worst kept entry. */
  private offer(score: number, row: number): void {
    const heap = this.heap;
    if (!heap.admits(score, row) || sortedHas(this.options.excluded, row)) return;
    const within = this.options.within;
    if (within && !sortedHas(within, row)) return;
    heap.push(score, row);
    if (heap.size === heap.capacity) {
      this.worstScore = heap.scores[0] as number;
      this.worstRow = heap.indices[0] as number;
    }
  }
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
  const scan = new DotScan(heap, matrix, dim, query, options);
  if (options.candidates) scan.rows(options.candidates);
  else scan.range(0, rows);
  return scan.finish();
}

/** Contiguous row ranges (the lists of an inverted-file index) in the order to scan them. */
export interface ListScan {
  /** list l holds rows offsets[l] .. offsets[l + 1] - 1 */
  offsets: Int32Array;
  /** lists to scan whatever happens, best first */
  probes: Int32Array;
  /** the remaining lists, best first, scanned only while filters left too few rows (see topKDotLists) */
  more(): Int32Array;
}

/** Position of the first entry >= value in an ascending Int32Array. */
function lowerBound(sorted: Int32Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** How many rows start .. end - 1 pass `within` and `excluded` (binary searches, no row visited). */
function qualifiedIn(
  start: number,
  end: number,
  within: Int32Array | undefined,
  excluded: Int32Array | undefined,
): number {
  let n = within ? lowerBound(within, end) - lowerBound(within, start) : end - start;
  if (excluded) {
    const from = lowerBound(excluded, start);
    const to = lowerBound(excluded, end);
    if (!within) n -= to - from;
    else for (let i = from; i < to; i++) if (sortedHas(within, excluded[i] as number)) n--;
  }
  return Math.max(0, n);
}

/** Share of the probed lists' rows that the scanned lists must hold in qualifying rows. */
const QUALIFIED_SHARE = 0.9;
/**
 * Filters are concentrated on the query when the probed lists keep less than this share of the
 * catalogue's qualifying rate; the scan is then exhaustive.
 */
const CONCENTRATED_RATE = 0.5;

/**
 * Like {@link topKDot}, but scans only the listed row ranges: the probed lists of an ANN index, then
 * further lists, best first, until k rows qualified and the scanned lists hold about as many
 * qualifying rows as the probed lists hold rows. So an unfiltered query scans just the probes, and a
 * filtered one scans as deep into its qualifying rows as an unfiltered one would.
 * When filters remove the probed rows far more than the rest of the catalogue (exclusions that
 * follow the query, such as everything it ranks first), list order no longer tells where the results
 * are, and every list is scanned: the exact answer.
 * Scores are exact; only rows in lists that are never scanned are missed.
 * `options.candidates` acts as a filter here (rows outside it never enter).
 */
export function topKDotLists(
  matrix: Float32Array,
  dim: number,
  query: ArrayLike<number>,
  k: number,
  lists: ListScan,
  options: SelectOptions = {},
): TopK {
  const rows = dim === 0 ? 0 : Math.floor(matrix.length / dim);
  const heap = new BoundedHeap(Math.max(0, Math.min(k, rows)));
  if (heap.capacity === 0) return heap.drain();
  const { candidates, excluded } = options;
  const scan = new DotScan(heap, matrix, dim, query, {
    ...options,
    candidates: undefined,
    within: candidates,
  });
  const { offsets } = lists;
  let budget = 0;
  let qualified = 0;
  const scanList = (l: number): void => {
    const start = offsets[l] as number;
    const end = offsets[l + 1] as number;
    scan.range(start, end);
    qualified += qualifiedIn(start, end, candidates, excluded);
  };
  for (const l of lists.probes) {
    budget += (offsets[l + 1] as number) - (offsets[l] as number);
    scanList(l);
  }
  if (scan.full() && qualified >= budget * QUALIFIED_SHARE) return scan.finish();
  const total = offsets[offsets.length - 1] as number;
  const concentrated =
    budget > 0 &&
    total > 0 &&
    qualified / budget < (CONCENTRATED_RATE * qualifiedIn(0, total, candidates, excluded)) / total;
  for (const l of lists.more()) {
    scanList(l);
    if (!concentrated && scan.full() && qualified >= budget * QUALIFIED_SHARE) break;
  }
  return scan.finish();
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
