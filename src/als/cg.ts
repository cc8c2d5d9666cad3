/**
 * The conjugate-gradient row update of implicit ALS (Takács et al. 2011), as the `implicit` library's
 * `least_squares_cg` does it: warm start from the current row, a fixed number of CG steps on
 * (YᵀY + λI + Σᵢ (cᵢ − 1) yᵢyᵢᵀ) x = Σᵢ cᵢ yᵢ, never forming the per-row matrix.
 * @module
 */

/**
 * One side of the problem: the rows being solved, with confidences split once into the two
 * coefficients the inner loops need, so the hot loop has no branch on the sign.
 */
export interface ConfidenceRows {
  rows: number;
  indptr: Int32Array;
  indices: Int32Array;
  /** max(c, 0): the right-hand side weight (negative confidence means "disliked", preference 0). */
  target: Float32Array;
  /** |c| − 1: the extra weight over the all-ones baseline in the per-row matrix. */
  weight: Float32Array;
}

/** Per-thread scratch vectors, allocated once and reused for every row. */
export interface CgScratch {
  x: Float64Array;
  r: Float64Array;
  p: Float64Array;
  ap: Float64Array;
}

/** Allocates the scratch vectors for k factors. */
export function createCgScratch(k: number): CgScratch {
  return { x: new Float64Array(k), r: new Float64Array(k), p: new Float64Array(k), ap: new Float64Array(k) };
}

/** rsold / rsnew below this means the row already solves its system (implicit's threshold). */
const CONVERGED = 1e-20;

/**
 * out = A v for a full (both triangles stored) symmetric k x k float64 matrix; four rows of A
 * per pass so each load of v feeds four products.
 */
function matVec(a: Float64Array, v: Float64Array, out: Float64Array, k: number): void {
  let j = 0;
  for (; j + 3 < k; j += 4) {
    const o0 = j * k;
    const o1 = o0 + k;
    const o2 = o1 + k;
    const o3 = o2 + k;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let l = 0; l < k; l++) {
      const vl = v[l] as number;
      s0 += (a[o0 + l] as number) * vl;
      s1 += (a[o1 + l] as number) * vl;
      s2 += (a[o2 + l] as number) * vl;
      s3 += (a[o3 + l] as number) * vl;
    }
    out[j] = s0;
    out[j + 1] = s1;
    out[j + 2] = s2;
    out[j + 3] = s3;
  }
  for (; j < k; j++) {
    const o = j * k;
    let s = 0;
    for (let l = 0; l < k; l++) s += (a[o + l] as number) * (v[l] as number);
    out[j] = s;
  }
}

/** Σ y[yo + l] v[l] with four partial sums (breaks the add dependency chain). */
function dotRow(y: Float32Array, yo: number, v: Float64Array, k: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let l = 0;
  for (; l + 3 < k; l += 4) {
    s0 += (y[yo + l] as number) * (v[l] as number);
    s1 += (y[yo + l + 1] as number) * (v[l + 1] as number);
    s2 += (y[yo + l + 2] as number) * (v[l + 2] as number);
    s3 += (y[yo + l + 3] as number) * (v[l + 3] as number);
  }
  for (; l < k; l++) s0 += (y[yo + l] as number) * (v[l] as number);
  return s0 + s1 + (s2 + s3);
}

/** out += t * y[yo..yo+k). */
function axpyRow(t: number, y: Float32Array, yo: number, out: Float64Array, k: number): void {
  let l = 0;
  for (; l + 3 < k; l += 4) {
    out[l] = (out[l] as number) + t * (y[yo + l] as number);
    out[l + 1] = (out[l + 1] as number) + t * (y[yo + l + 1] as number);
    out[l + 2] = (out[l + 2] as number) + t * (y[yo + l + 2] as number);
    out[l + 3] = (out[l + 3] as number) + t * (y[yo + l + 3] as number);
  }
  for (; l < k; l++) out[l] = (out[l] as number) + t * (y[yo + l] as number);
}

function dot(a: Float64Array, b: Float64Array, k: number): number {
  let s0 = 0;
  let s1 = 0;
  let l = 0;
  for (; l + 1 < k; l += 2) {
    s0 += (a[l] as number) * (b[l] as number);
    s1 += (a[l + 1] as number) * (b[l + 1] as number);
  }
  if (l < k) s0 += (a[l] as number) * (b[l] as number);
  return s0 + s1;
}

/**
 * Updates rows `[rowStart, rowEnd)` of `x` in place with `cgSteps` conjugate-gradient steps each,
 * starting from their current values. Rows without interactions become zero (as in `implicit`).
 * @param x - rows x k float32 factors being solved (read as the warm start, then overwritten).
 * @param y - The fixed other side's factors, row-major float32.
 * @param k - Number of factors.
 * @param yty - YᵀY + λI, k x k float64 with both triangles filled.
 * @param m - The confidence rows for `x`'s side.
 * @param scratch - Reused vectors from {@link createCgScratch}.
 */
export function cgUpdateRows(
  x: Float32Array,
  y: Float32Array,
  k: number,
  yty: Float64Array,
  m: ConfidenceRows,
  rowStart: number,
  rowEnd: number,
  cgSteps: number,
  scratch: CgScratch,
): void {
  const { indptr, indices, target, weight } = m;
  const { x: xv, r, p, ap } = scratch;
  for (let u = rowStart; u < rowEnd; u++) {
    const start = indptr[u] as number;
    const end = indptr[u + 1] as number;
    const xo = u * k;
    if (start === end) {
      x.fill(0, xo, xo + k);
      continue;
    }
    for (let l = 0; l < k; l++) xv[l] = x[xo + l] as number;

    // r = b − A x, with A x = (YᵀY + λI) x + Σ (c − 1)(yᵢ·x) yᵢ folded into one axpy per item.
    matVec(yty, xv, r, k);
    for (let l = 0; l < k; l++) r[l] = -(r[l] as number);
    for (let nz = start; nz < end; nz++) {
      const yo = (indices[nz] as number) * k;
      const coef = (target[nz] as number) - (weight[nz] as number) * dotRow(y, yo, xv, k);
      axpyRow(coef, y, yo, r, k);
    }
    p.set(r);
    let rsold = dot(r, r, k);
    if (rsold < CONVERGED) continue;

    for (let it = 0; it < cgSteps; it++) {
      matVec(yty, p, ap, k);
      for (let nz = start; nz < end; nz++) {
        const w = weight[nz] as number;
        // c = 1 adds nothing to A: skipping is exact and common (single watch events).
        if (w === 0) continue;
        const yo = (indices[nz] as number) * k;
        axpyRow(w * dotRow(y, yo, p, k), y, yo, ap, k);
      }
      const step = rsold / dot(p, ap, k);
      for (let l = 0; l < k; l++) {
        xv[l] = (xv[l] as number) + step * (p[l] as number);
        r[l] = (r[l] as number) - step * (ap[l] as number);
      }
      const rsnew = dot(r, r, k);
      if (rsnew < CONVERGED) break;
      const beta = rsnew / rsold;
      for (let l = 0; l < k; l++) p[l] = (r[l] as number) + beta * (p[l] as number);
      rsold = rsnew;
    }
    for (let l = 0; l < k; l++) x[xo + l] = xv[l] as number;
  }
}
