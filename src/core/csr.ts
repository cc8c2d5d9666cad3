/**
 * Building and transposing compressed-sparse-row matrices ({@link Csr}), the layout ALS iterates over.
 * @module
 */

import { InputInvalidError } from './errors.js';
import type { Csr } from './model-data.js';

function checkShape(rows: number, cols: number): void {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
    throw new InputInvalidError(`Matrix shape must be non-negative integers, got ${rows} x ${cols}`);
  }
}

/** Stable counting sort of triple positions (in `input` order, or 0..n-1) by `key`. */
function bucketOrder(
  buckets: number,
  n: number,
  key: (t: number) => number,
  input: Int32Array | null,
): Int32Array {
  const start = new Int32Array(buckets + 1);
  for (let t = 0; t < n; t++) {
    const k = key(t);
    start[k + 1] = (start[k + 1] as number) + 1;
  }
  for (let i = 0; i < buckets; i++) start[i + 1] = (start[i + 1] as number) + (start[i] as number);
  const out = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const t = input === null ? j : (input[j] as number);
    const k = key(t);
    const at = start[k] as number;
    start[k] = at + 1;
    out[at] = t;
  }
  return out;
}

/**
 * Builds a CSR matrix from coordinate triples, summing duplicate (row, col) pairs and sorting column
 * indices ascending within each row.
 * @param rows - Number of rows.
 * @param cols - Number of columns.
 * @param r - Row index of each triple.
 * @param c - Column index of each triple.
 * @param v - Value of each triple.
 * @returns The matrix, with float32 values (sums are accumulated in float64 first).
 */
export function csrFromTriples(
  rows: number,
  cols: number,
  r: ArrayLike<number>,
  c: ArrayLike<number>,
  v: ArrayLike<number>,
): Csr {
  checkShape(rows, cols);
  const n = r.length;
  if (c.length !== n || v.length !== n) {
    throw new InputInvalidError(
      `Triples have different lengths: rows ${n}, cols ${c.length}, values ${v.length}`,
    );
  }
  for (let t = 0; t < n; t++) {
    const row = r[t] as number;
    const col = c[t] as number;
    if (!(row >= 0 && row < rows && Number.isInteger(row))) {
      throw new InputInvalidError(`Row index ${row} at triple ${t} is outside 0..${rows - 1}`);
    }
    if (!(col >= 0 && col < cols && Number.isInteger(col))) {
      throw new InputInvalidError(`Column index ${col} at triple ${t} is outside 0..${cols - 1}`);
    }
  }
  // Two stable counting sorts (by column, then by row) leave columns ascending inside each row in
  // O(n + rows + cols), with no comparator calls and no object per triple.
  const byCol = bucketOrder(cols, n, (t) => c[t] as number, null);
  const byRow = bucketOrder(rows, n, (t) => r[t] as number, byCol);

  const indptr = new Int32Array(rows + 1);
  const indices = new Int32Array(n);
  const data = new Float64Array(n);
  let nnz = 0;
  let lastRow = -1;
  let lastCol = -1;
  for (let j = 0; j < n; j++) {
    const t = byRow[j] as number;
    const row = r[t] as number;
    const col = c[t] as number;
    if (row === lastRow && col === lastCol) {
      data[nnz - 1] = (data[nnz - 1] as number) + (v[t] as number);
    } else {
      indices[nnz] = col;
      data[nnz] = v[t] as number;
      nnz++;
      indptr[row + 1] = (indptr[row + 1] as number) + 1;
      lastRow = row;
      lastCol = col;
    }
  }
  for (let i = 0; i < rows; i++) indptr[i + 1] = (indptr[i + 1] as number) + (indptr[i] as number);
  return {
    rows,
    cols,
    indptr,
    indices: indices.slice(0, nnz),
    data: Float32Array.from(data.subarray(0, nnz)),
  };
}

/**
 * Transposes a CSR matrix (equivalently, converts it to CSC). Column indices of the result stay
 * ascending because rows are visited in order.
 * @param m - The matrix to transpose.
 * @returns A new `cols x rows` matrix.
 */
export function transposeCsr(m: Csr): Csr {
  const { rows, cols, indptr, indices, data } = m;
  const nnz = indptr[rows] as number;
  const outPtr = new Int32Array(cols + 1);
  for (let p = 0; p < nnz; p++) {
    const col = indices[p] as number;
    outPtr[col + 1] = (outPtr[col + 1] as number) + 1;
  }
  for (let i = 0; i < cols; i++) outPtr[i + 1] = (outPtr[i + 1] as number) + (outPtr[i] as number);
  const cursor = outPtr.slice(0, cols);
  const outIdx = new Int32Array(nnz);
  const outData = new Float32Array(nnz);
  for (let row = 0; row < rows; row++) {
    const end = indptr[row + 1] as number;
    for (let p = indptr[row] as number; p < end; p++) {
      const col = indices[p] as number;
      const at = cursor[col] as number;
      cursor[col] = at + 1;
      outIdx[at] = row;
      outData[at] = data[p] as number;
    }
  }
  return { rows: cols, cols: rows, indptr: outPtr, indices: outIdx, data: outData };
}
