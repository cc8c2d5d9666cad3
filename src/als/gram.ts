/**
 * Gram matrices (YᵀY) of factor matrices, accumulated in float64.
 * @module
 */

/**
 * Adds the Gram matrix of rows `[rowStart, rowEnd)` of a row-major float32 matrix into `out`
 * (upper triangle only; call {@link mirrorUpper} once when all partials are summed).
 * Two rows per pass halve the reads of `out`, which dominate for k around 64.
 */
export function addGramRows(
  out: Float64Array,
  factors: Float32Array,
  k: number,
  rowStart: number,
  rowEnd: number,
): void {
  let row = rowStart;
  for (; row + 1 < rowEnd; row += 2) {
    const o1 = row * k;
    const o2 = o1 + k;
    for (let a = 0; a < k; a++) {
      const u1 = factors[o1 + a] as number;
      const u2 = factors[o2 + a] as number;
      const base = a * k;
      for (let b = a; b < k; b++) {
        out[base + b] =
          (out[base + b] as number) + u1 * (factors[o1 + b] as number) + u2 * (factors[o2 + b] as number);
      }
    }
  }
  if (row < rowEnd) {
    const o1 = row * k;
    for (let a = 0; a < k; a++) {
      const u1 = factors[o1 + a] as number;
      const base = a * k;
      for (let b = a; b < k; b++)
        out[base + b] = (out[base + b] as number) + u1 * (factors[o1 + b] as number);
    }
  }
}

/** Copies the upper triangle of a k x k row-major matrix onto its lower triangle. */
export function mirrorUpper(m: Float64Array, k: number): void {
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) m[b * k + a] = m[a * k + b] as number;
  }
}

/**
 * Computes YᵀY (k x k, row-major, float64) of a rows x k float32 factor matrix.
 * @param factors - Row-major factors.
 * @param rows - Number of rows in `factors`.
 * @param k - Number of factors (columns).
 */
export function gramMatrix(factors: Float32Array, rows: number, k: number): Float64Array {
  const out = new Float64Array(k * k);
  addGramRows(out, factors, k, 0, rows);
  mirrorUpper(out, k);
  return out;
}
