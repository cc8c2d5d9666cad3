/**
 * The training loss of implicit ALS, with `implicit`'s `calculate_loss` definition:
 * (Σ_{all u,i} c_ui (p_ui − x_u·y_i)² + λ (Σ|x_u|² + Σ|y_i|²)) / (Σ_observed c + rows·cols − nnz),
 * computed without visiting unobserved pairs.
 * @module
 */

import type { CgScratch, ConfidenceRows } from './cg.js';

/**
 * Adds rows `[rowStart, rowEnd)`'s share of the loss numerator to `out[0]` and their summed
 * confidence to `out[1]`. `a` is YᵀY + λI, so xᵀAx also carries the λ|x|² user term.
 */
export function addLossRows(
  out: Float64Array,
  x: Float32Array,
  y: Float32Array,
  k: number,
  a: Float64Array,
  m: ConfidenceRows,
  rowStart: number,
  rowEnd: number,
  scratch: CgScratch,
): void {
  const { indptr, indices, target, weight } = m;
  const { x: xv, r } = scratch;
  let loss = 0;
  let confidence = 0;
  for (let u = rowStart; u < rowEnd; u++) {
    const xo = u * k;
    for (let l = 0; l < k; l++) xv[l] = x[xo + l] as number;
    for (let j = 0; j < k; j++) {
      const ao = j * k;
      let s = 0;
      for (let l = 0; l < k; l++) s += (a[ao + l] as number) * (xv[l] as number);
      r[j] = s;
    }
    const end = indptr[u + 1] as number;
    for (let nz = indptr[u] as number; nz < end; nz++) {
      const yo = (indices[nz] as number) * k;
      const w = weight[nz] as number;
      let d = 0;
      for (let l = 0; l < k; l++) d += (y[yo + l] as number) * (xv[l] as number);
      const coef = -2 * (target[nz] as number) + w * d;
      for (let l = 0; l < k; l++) r[l] = (r[l] as number) + coef * (y[yo + l] as number);
      // |c| = w + 1: the Σ c p² term (implicit counts it for negative confidences too).
      loss += w + 1;
      confidence += w + 1;
    }
    let s = 0;
    for (let l = 0; l < k; l++) s += (r[l] as number) * (xv[l] as number);
    loss += s;
  }
  out[0] = (out[0] as number) + loss;
  out[1] = (out[1] as number) + confidence;
}

/** Σ |y_i|² over all rows of a factor matrix, in float64. */
export function squaredNorm(f: Float32Array): number {
  let s = 0;
  for (let i = 0; i < f.length; i++) s += (f[i] as number) * (f[i] as number);
  return s;
}
