/**
 * Dense Cholesky solve on flat float64 arrays, for the small k x k systems of fold-in.
 * @module
 */

/**
 * Solves A x = b for a symmetric positive-definite k x k row-major matrix, in place: `a` is
 * overwritten by its Cholesky factor (lower triangle) and `b` by the solution.
 * @returns false when A is not positive definite (b is then unspecified).
 */
export function choleskySolveInPlace(a: Float64Array, b: Float64Array, k: number): boolean {
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
  // Forward substitution L z = b, then back substitution Lᵀ x = z.
  for (let i = 0; i < k; i++) {
    const io = i * k;
    let s = b[i] as number;
    for (let l = 0; l < i; l++) s -= (a[io + l] as number) * (b[l] as number);
    b[i] = s / (a[io + i] as number);
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = b[i] as number;
    for (let l = i + 1; l < k; l++) s -= (a[l * k + i] as number) * (b[l] as number);
    b[i] = s / (a[i * k + i] as number);
  }
  return true;
}
