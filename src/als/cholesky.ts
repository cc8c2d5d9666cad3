/**
 * Dense Cholesky factorisation and solves on flat float64 arrays, for the small k x k systems of fold-in
 * and explanations.
 * @module
 */

/**
 * Factors a symmetric positive-definite k x k row-major matrix in place: its lower triangle becomes L
 * with A = L Lᵀ (only the lower triangle of `a` is read).
 * @returns false when A is not positive definite (`a` is then unspecified).
 */
export function choleskyFactorInPlace(a: Float64Array, k: number): boolean {
  for (let j = 0; j < k; j++) {
    const jo = j * k;
    let d = a[jo + j] as number;
    for (let l = 0; l < j; l++) d -= (a[jo + l] as number) * (a[jo + l] as number);
    if (!(d > 0)) return false;
    const ljj = Math.sqrt(d);
    a[jo + j] = ljj;
    for (let i = j + 1; i < k; i++) {
      const io = i * k;
      let s = a[io + j] as number;
      for (let l = 0; l < j; l++) s -= (a[io + l] as number) * (a[jo + l] as number);
      a[io + j] = s / ljj;
    }
  }
  return true;
}

/** Solves L Lᵀ x = b in place (`b` becomes x), with L from {@link choleskyFactorInPlace}. */
export function choleskySolveFactored(l: Float64Array, b: Float64Array, k: number): void {
  // Forward substitution L z = b, then back substitution Lᵀ x = z.
  for (let i = 0; i < k; i++) {
    const io = i * k;
    let s = b[i] as number;
    for (let j = 0; j < i; j++) s -= (l[io + j] as number) * (b[j] as number);
    b[i] = s / (l[io + i] as number);
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = b[i] as number;
    for (let j = i + 1; j < k; j++) s -= (l[j * k + i] as number) * (b[j] as number);
    b[i] = s / (l[i * k + i] as number);
  }
}

/**
 * Solves A x = b for a symmetric positive-definite k x k row-major matrix, in place: `a` is
 * overwritten by its Cholesky factor (lower triangle) and `b` by the solution.
 * @returns false when A is not positive definite (b is then unspecified).
 */
export function choleskySolveInPlace(a: Float64Array, b: Float64Array, k: number): boolean {
  if (!choleskyFactorInPlace(a, k)) return false;
  choleskySolveFactored(a, b, k);
  return true;
}
