/**
 * Turns a summed interaction matrix into the confidence rows ALS iterates over.
 * @module
 */

import type { Csr } from '../core/model-data.js';
import type { ConfidenceRows } from './cg.js';
import { type Allocator, bufferAllocator } from './memory.js';

/**
 * Applies `implicit`'s convention: c = alpha · value in float32; observed pairs weigh |c|
 * (negative values mean "disliked": preference 0), unobserved pairs weigh 1. Within each row, entries
 * with |c| = 1 (weight 0: they add nothing to the row's matrix) are moved after the others, keeping
 * their order, so the CG steps of the SIMD kernel visit a prefix of the row without a branch.
 * @param m - Raw summed values (rows x cols).
 * @param alpha - Confidence scale.
 * @param allocate - Where the arrays go (default: plain buffers).
 */
export function toConfidenceRows(
  m: Csr,
  alpha: number,
  allocate: Allocator = bufferAllocator(false),
): ConfidenceRows {
  const nnz = m.indptr[m.rows] as number;
  const indptr = allocate(Int32Array, m.rows + 1);
  const indices = allocate(Int32Array, nnz);
  const target = allocate(Float32Array, nnz);
  const weight = allocate(Float32Array, nnz);
  indptr.set(m.indptr.subarray(0, m.rows + 1));
  for (let row = 0; row < m.rows; row++) {
    const start = m.indptr[row] as number;
    const end = m.indptr[row + 1] as number;
    let front = start;
    let zeros = 0;
    for (let n = start; n < end; n++) if (Math.abs(Math.fround(alpha * (m.data[n] as number))) === 1) zeros++;
    let back = end - zeros;
    for (let n = start; n < end; n++) {
      const c = Math.fround(alpha * (m.data[n] as number));
      const w = Math.abs(c) - 1;
      const to = w === 0 ? back++ : front++;
      indices[to] = m.indices[n] as number;
      target[to] = Math.max(c, 0);
      weight[to] = w;
    }
  }
  return { rows: m.rows, indptr, indices, target, weight };
}
