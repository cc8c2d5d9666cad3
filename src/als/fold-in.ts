/**
 * Fold-in: the factors of a user from their interactions and the trained item factors, without
 * retraining. Used at serve time for users the model has never seen; imports nothing heavy.
 * @module
 */

import { InputInvalidError } from '../core/errors.js';
import type { AlsParams } from '../core/model-data.js';
import { choleskySolveInPlace } from './cholesky.js';

export { gramMatrix } from './gram.js';

/**
 * Solves one user's implicit-ALS least-squares problem exactly (Cholesky), as `implicit`'s
 * `recalculate_user` does: A = YᵀY + λI + Σ (|cᵢ| − 1) yᵢyᵢᵀ, b = Σ max(cᵢ, 0) yᵢ with cᵢ = alpha · valueᵢ.
 * Repeated items have their values summed first, as training does. An empty history gives zeros.
 * `cgSteps` is accepted for symmetry with training but unused: the exact solve is cheap at this size.
 * @param itemFactors - items x k float32 factors, row-major.
 * @param k - Number of factors.
 * @param yty - YᵀY from {@link gramMatrix} (without regularization), k x k float64.
 * @param items - Item indices of the user's interactions.
 * @param values - Raw (pre-alpha) summed interaction values, one per item.
 * @param params - alpha and regularization used in training.
 * @returns The user's k factors.
 */
export function foldInUser(
  itemFactors: Float32Array,
  k: number,
  yty: Float64Array,
  items: ArrayLike<number>,
  values: ArrayLike<number>,
  params: Pick<AlsParams, 'alpha' | 'regularization' | 'cgSteps'>,
): Float32Array {
  if (items.length !== values.length) {
    throw new InputInvalidError(`Fold-in got ${items.length} items but ${values.length} values`);
  }
  if (yty.length !== k * k) throw new InputInvalidError(`YtY has ${yty.length} entries, expected ${k * k}`);
  const itemCount = itemFactors.length / k;
  const summed = new Map<number, number>();
  for (let n = 0; n < items.length; n++) {
    const item = items[n] as number;
    const value = values[n] as number;
    if (!Number.isInteger(item) || item < 0 || item >= itemCount) {
      throw new InputInvalidError(`Fold-in item index ${item} is outside 0..${itemCount - 1}`);
    }
    if (!Number.isFinite(value)) throw new InputInvalidError(`Fold-in value for item ${item} is not finite`);
    summed.set(item, (summed.get(item) ?? 0) + value);
  }
  const out = new Float32Array(k);
  if (summed.size === 0) return out;

  const a = Float64Array.from(yty);
  for (let d = 0; d < k; d++) a[d * k + d] = (a[d * k + d] as number) + params.regularization;
  const b = new Float64Array(k);
  for (const [item, value] of summed) {
    // float32 confidences, as training stores them.
    const c = Math.fround(params.alpha * value);
    const w = Math.abs(c) - 1;
    const t = Math.max(c, 0);
    const yo = item * k;
    for (let i = 0; i < k; i++) {
      const yi = itemFactors[yo + i] as number;
      b[i] = (b[i] as number) + t * yi;
      if (w === 0) continue;
      const wyi = w * yi;
      const ro = i * k;
      for (let j = 0; j <= i; j++) a[ro + j] = (a[ro + j] as number) + wyi * (itemFactors[yo + j] as number);
    }
  }
  // Only the lower triangle was accumulated; the solver reads only the lower triangle.
  if (!choleskySolveInPlace(a, b, k)) {
    throw new InputInvalidError('Fold-in system is not positive definite: use a regularization above 0');
  }
  for (let i = 0; i < k; i++) out[i] = b[i] as number;
  return out;
}
