/**
 * Fold-in: the factors of a user from their interactions and the trained item factors, without
 * retraining (used at serve time for users the model has never seen), and `implicit`'s explanation of a
 * score by the user's watched items. Imports nothing heavy.
 * @module
 */

import { InputInvalidError } from '../core/errors.js';
import type { AlsParams, FittedWeighting } from '../core/model-data.js';
import { choleskyFactorInPlace, choleskySolveFactored, choleskySolveInPlace } from './cholesky.js';
import { weightValue } from './weighting.js';

export { gramMatrix } from './gram.js';

/** A user's distinct items and their confidences c = alpha · (weighted) value, float32 as training stores them. */
export interface Confidences {
  items: number[];
  confidences: number[];
}

/**
 * Sums repeated items (as training does), weighs each summed value as training weighed the matrix
 * (absent weighting: as it is), and scales by alpha, rounding to float32 where training stores float32.
 * @throws InputInvalidError for an item outside the catalogue or a non-finite value
 */
export function confidencesOf(
  itemCount: number,
  items: ArrayLike<number>,
  values: ArrayLike<number>,
  alpha: number,
  weighting?: FittedWeighting | undefined,
): Confidences {
  if (items.length !== values.length) {
    throw new InputInvalidError(`Fold-in got ${items.length} items but ${values.length} values`);
  }
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
  const out: Confidences = { items: [], confidences: [] };
  for (const [item, value] of summed) {
    const weighted =
      !weighting || weighting.weighting.scheme === 'none'
        ? value
        : Math.fround(weightValue(weighting, item, value, summed.size));
    out.items.push(item);
    out.confidences.push(Math.fround(alpha * weighted));
  }
  return out;
}

/**
 * The user's linear system of implicit ALS, as `implicit`'s `user_linear_equation` builds it:
 * A = YᵀY + λI + Σ (|cᵢ| − 1) yᵢyᵢᵀ (lower triangle only), b = Σ max(cᵢ, 0) yᵢ.
 */
export function userSystem(
  itemFactors: Float32Array,
  k: number,
  yty: Float64Array,
  user: Confidences,
  regularization: number,
): { a: Float64Array; b: Float64Array } {
  if (yty.length !== k * k) throw new InputInvalidError(`YtY has ${yty.length} entries, expected ${k * k}`);
  const a = Float64Array.from(yty);
  for (let d = 0; d < k; d++) a[d * k + d] = (a[d * k + d] as number) + regularization;
  const b = new Float64Array(k);
  user.items.forEach((item, n) => {
    const c = user.confidences[n] as number;
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
  });
  return { a, b };
}

/**
 * Solves one user's implicit-ALS least-squares problem exactly (Cholesky), as `implicit`'s
 * `recalculate_user` does, from raw interaction values (summed per item, then weighed as training
 * weighed the matrix). An empty history gives zeros. `cgSteps` is accepted for symmetry with training
 * but unused: the exact solve is cheap at this size.
 * @param itemFactors - items x k float32 factors, row-major.
 * @param k - Number of factors.
 * @param yty - YᵀY from {@link gramMatrix} (without regularization), k x k float64.
 * @param items - Item indices of the user's interactions.
 * @param values - Raw (pre-alpha, unweighted) interaction values, one per item.
 * @param params - alpha and regularization used in training.
 * @param weighting - the weighting training applied (default: none)
 * @returns The user's k factors.
 */
export function foldInUser(
  itemFactors: Float32Array,
  k: number,
  yty: Float64Array,
  items: ArrayLike<number>,
  values: ArrayLike<number>,
  params: Pick<AlsParams, 'alpha' | 'regularization' | 'cgSteps'>,
  weighting?: FittedWeighting | undefined,
): Float32Array {
  const user = confidencesOf(itemFactors.length / k, items, values, params.alpha, weighting);
  const out = new Float32Array(k);
  if (user.items.length === 0) return out;
  const { a, b } = userSystem(itemFactors, k, yty, user, params.regularization);
  // Only the lower triangle was accumulated; the solver reads only the lower triangle.
  if (!choleskySolveInPlace(a, b, k)) {
    throw new InputInvalidError('Fold-in system is not positive definite: use a regularization above 0');
  }
  for (let i = 0; i < k; i++) out[i] = b[i] as number;
  return out;
}

/** One watched item's share of a score. */
export interface Contribution {
  item: number;
  contribution: number;
}

/** Explains scores for one user: build once, ask per recommended item. */
export interface Explainer {
  /**
   * The contribution of each watched item to the user's score of `item` (the top `n`, largest first) and
   * their sum, the score of the exact solve.
   */
  explain(item: number, n: number): { total: number; top: Contribution[] };
}

/**
 * `implicit`'s `explain` (AlternatingLeastSquares.explain, implicit/cpu/als.py, after section 5 of Hu,
 * Koren & Volinsky 2008): with A the user's system (W_u⁻¹ of the paper) factored once by Cholesky, the
 * score of item i splits over the watched items j as s_ij = (A⁻¹ yᵢ) · yⱼ · cⱼ (items with cⱼ < 0 are
 * skipped). The shares sum to yᵢ · x_u of the exact solve, which the served score (trained factors) matches
 * up to the conjugate-gradient residual.
 * @throws InputInvalidError when the system is not positive definite (regularization 0)
 */
export function explainUser(
  itemFactors: Float32Array,
  k: number,
  yty: Float64Array,
  items: ArrayLike<number>,
  values: ArrayLike<number>,
  params: Pick<AlsParams, 'alpha' | 'regularization'>,
  weighting?: FittedWeighting | undefined,
): Explainer {
  const user = confidencesOf(itemFactors.length / k, items, values, params.alpha, weighting);
  const { a } = userSystem(itemFactors, k, yty, user, params.regularization);
  if (!choleskyFactorInPlace(a, k)) {
    throw new InputInvalidError('Explanation system is not positive definite: use a regularization above 0');
  }
  return {
    explain(item, n) {
      const z = Float64Array.from(itemFactors.subarray(item * k, (item + 1) * k));
      choleskySolveFactored(a, z, k);
      const shares: Contribution[] = [];
      let total = 0;
      user.items.forEach((other, m) => {
        const c = user.confidences[m] as number;
        if (c < 0) return;
        let dot = 0;
        for (let d = 0; d < k; d++) dot += (z[d] as number) * (itemFactors[other * k + d] as number);
        const contribution = dot * c;
        total += contribution;
        shares.push({ item: other, contribution });
      });
      shares.sort((x, y) => y.contribution - x.contribution || x.item - y.item);
      return { total, top: shares.slice(0, n) };
    },
  };
}
