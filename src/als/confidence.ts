/**
 * Turns a summed interaction matrix into the confidence rows ALS iterates over.
 * @module
 */

import type { Csr } from '../core/model-data.js';
import type { ConfidenceRows } from './cg.js';
import { type Allocator, bufferAllocator } from './memory.js';

/**
 * Applies `implicit`'s convention: c = alpha · value in float32; observed pairs weigh |c|
 * (negative values mean "disliked": preference 0), unobserved pairs weigh 1.
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
  indices.set(m.indices.subarray(0, nnz));
  for (let n = 0; n < nnz; n++) {
    const c = Math.fround(alpha * (m.data[n] as number));
    target[n] = Math.max(c, 0);
    weight[n] = Math.abs(c) - 1;
  }
  return { rows: m.rows, indptr, indices, target, weight };
}
