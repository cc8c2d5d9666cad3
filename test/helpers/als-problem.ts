/** One-user ALS problems and their exact (ml-matrix Cholesky) solution: the oracle of the CG tests. */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { createRng } from '../../src/core/random.js';

/** Factors and items of the one-user test problems. */
export const K = 8;
export const ITEMS = 40;

/** A random item-factor matrix and one user's history (distinct items, values 1..5). */
export function problem(
  seed: number,
  interactions: number,
): { y: Float32Array; items: number[]; values: number[] } {
  const rng = createRng(seed);
  const y = new Float32Array(ITEMS * K);
  for (let i = 0; i < y.length; i++) y[i] = rng() - 0.5;
  const items: number[] = [];
  const values: number[] = [];
  while (items.length < interactions) {
    const item = Math.floor(rng() * ITEMS);
    if (items.includes(item)) continue;
    items.push(item);
    values.push(1 + Math.floor(rng() * 5));
  }
  return { y, items, values };
}

/** The exact solution of implicit ALS's user system, built densely with ml-matrix (the oracle). */
export function exactSolve(
  y: Float32Array,
  items: number[],
  values: number[],
  alpha: number,
  reg: number,
): number[] {
  const Y = new Matrix(ITEMS, K);
  for (let i = 0; i < ITEMS; i++) for (let j = 0; j < K; j++) Y.set(i, j, y[i * K + j] as number);
  const A = Y.transpose().mmul(Y).add(Matrix.eye(K, K).mul(reg));
  const b = Matrix.zeros(K, 1);
  items.forEach((item, n) => {
    const c = alpha * (values[n] as number);
    const yi = Y.getRowVector(item);
    A.add(
      yi
        .transpose()
        .mmul(yi)
        .mul(c - 1),
    );
    b.add(yi.transpose().mul(c));
  });
  return new CholeskyDecomposition(A).solve(b).getColumn(0);
}
