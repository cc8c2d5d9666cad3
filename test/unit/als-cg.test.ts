import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { cgUpdateRows, createCgScratch } from '../../src/als/cg.js';
import { toConfidenceRows } from '../../src/als/confidence.js';
import { foldInUser, gramMatrix } from '../../src/als/fold-in.js';
import { createState, createThreadContext } from '../../src/als/state.js';
import { csrFromTriples } from '../../src/core/csr.js';
import { InputInvalidError } from '../../src/core/errors.js';
import { createRng } from '../../src/core/random.js';

const K = 8;
const ITEMS = 40;

/** A random item-factor matrix and one user's history (distinct items, values 1..5). */
function problem(seed: number, interactions: number): { y: Float32Array; items: number[]; values: number[] } {
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
function exactSolve(
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

/** Runs the CG update on a one-user problem starting from `start`. */
function cgSolve(
  y: Float32Array,
  items: number[],
  values: number[],
  start: Float32Array,
  steps: number,
): Float32Array {
  const alpha = 2;
  const reg = 0.1;
  const m = toConfidenceRows(
    csrFromTriples(
      1,
      ITEMS,
      items.map(() => 0),
      items,
      values,
    ),
    alpha,
  );
  const yty = gramMatrix(y, ITEMS, K);
  for (let d = 0; d < K; d++) yty[d * K + d] = (yty[d * K + d] as number) + reg;
  const x = Float32Array.from(start);
  cgUpdateRows(x, y, K, yty, m, 0, 1, steps, createCgScratch(K));
  return x;
}

function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += ((a[i] as number) - (b[i] as number)) ** 2;
  return Math.sqrt(s);
}

describe('Function: cgUpdateRows', () => {
  it.each([1, 2, 3, 4, 5])(
    'matches the exact Cholesky solve to 4 digits after k CG steps (seed %i)',
    (seed) => {
      // Prepare: in exact arithmetic CG solves a k x k SPD system in k steps.
      const { y, items, values } = problem(seed, 12);
      const exact = exactSolve(y, items, values, 2, 0.1);

      // Act: warm start from a random row, as training does.
      const start = Float32Array.from({ length: K }, (_, i) => 0.01 * ((i * 37) % 11));
      const x = cgSolve(y, items, values, start, 2 * K);

      // Assess
      for (let i = 0; i < K; i++) expect(x[i]).toBeCloseTo(exact[i] as number, 4);
    },
  );

  it('moves closer to the exact solution with every CG step', () => {
    const { y, items, values } = problem(9, 15);
    const exact = exactSolve(y, items, values, 2, 0.1);
    const start = new Float32Array(K).fill(0.005);

    const errors = [0, 1, 2, 3].map((steps) =>
      steps === 0 ? distance(start, exact) : distance(cgSolve(y, items, values, start, steps), exact),
    );

    // CG minimises the A-norm of the error; the plain norm falls too on these well-conditioned systems.
    for (let s = 1; s < errors.length; s++) expect(errors[s]).toBeLessThan(errors[s - 1] as number);
  });

  it('sets rows without interactions to zero, as implicit does', () => {
    const y = problem(1, 1).y;
    const m = toConfidenceRows(csrFromTriples(2, ITEMS, [1], [3], [1]), 1);
    const x = new Float32Array(2 * K).fill(0.5);

    cgUpdateRows(x, y, K, gramMatrix(y, ITEMS, K), m, 0, 1, 3, createCgScratch(K));

    expect(Array.from(x.subarray(0, K))).toEqual(new Array(K).fill(0));
    expect(Array.from(x.subarray(K))).toEqual(new Array(K).fill(0.5));
  });
});

describe('Function: cg_update_rows (WebAssembly SIMD kernel)', () => {
  it.each([1, 2, 3])(
    'matches the exact Cholesky solve to 3 digits (float32) after 2k CG steps (seed %i)',
    (seed) => {
      const { y, items, values } = problem(seed, 12);
      const exact = exactSolve(y, items, values, 2, 0.1);
      const m = csrFromTriples(
        1,
        ITEMS,
        items.map(() => 0),
        items,
        values,
      );
      const state = createState(m, 2, K, 2 * K, 1, 'wasm');
      state.itemFactors.set(y);
      const yty = gramMatrix(y, ITEMS, K);
      for (let d = 0; d < K; d++) yty[d * K + d] = (yty[d * K + d] as number) + 0.1;
      state.system32.set(yty);
      state.userFactors.fill(0.01);
      const ctx = createThreadContext(state, 0);

      const u = state.users;
      ctx.wasm?.cgUpdateRows(
        state.userFactors,
        state.itemFactors,
        K,
        state.system32,
        u.indptr,
        u.indices,
        u.target,
        u.weight,
        0,
        1,
        2 * K,
        ctx.wasmScratch,
      );

      expect(ctx.wasm).not.toBeNull();
      for (let i = 0; i < K; i++) expect(state.userFactors[i]).toBeCloseTo(exact[i] as number, 3);
    },
  );
});

describe('Function: foldInUser', () => {
  it.each([11, 12, 13])(
    'solves the user system exactly: agrees with ml-matrix Cholesky to 5 digits (seed %i)',
    (seed) => {
      const { y, items, values } = problem(seed, 10);
      const exact = exactSolve(y, items, values, 2, 0.1);

      const x = foldInUser(y, K, gramMatrix(y, ITEMS, K), items, values, {
        alpha: 2,
        regularization: 0.1,
        cgSteps: 3,
      });

      for (let i = 0; i < K; i++) expect(x[i]).toBeCloseTo(exact[i] as number, 5);
    },
  );

  it('sums repeated items before solving, as training does', () => {
    const { y } = problem(3, 1);
    const params = { alpha: 1, regularization: 0.1, cgSteps: 3 };
    const yty = gramMatrix(y, ITEMS, K);

    const split = foldInUser(y, K, yty, [4, 7, 4], [1, 2, 2], params);
    const summed = foldInUser(y, K, yty, [4, 7], [3, 2], params);

    expect(split).toEqual(summed);
  });

  it('returns zeros for an empty history and refuses bad input', () => {
    const { y } = problem(3, 1);
    const yty = gramMatrix(y, ITEMS, K);
    const params = { alpha: 1, regularization: 0.1, cgSteps: 3 };

    expect(foldInUser(y, K, yty, [], [], params)).toEqual(new Float32Array(K));
    expect(() => foldInUser(y, K, yty, [ITEMS], [1], params)).toThrow(InputInvalidError);
    expect(() => foldInUser(y, K, yty, [1], [Number.NaN], params)).toThrow(/not finite/);
    expect(() => foldInUser(y, K, yty, [1, 2], [1], params)).toThrow(/2 items but 1 values/);
  });
});

describe('Function: gramMatrix', () => {
  it('equals YᵀY from ml-matrix to 12 digits', () => {
    const { y } = problem(21, 1);
    const Y = new Matrix(ITEMS, K);
    for (let i = 0; i < ITEMS; i++) for (let j = 0; j < K; j++) Y.set(i, j, y[i * K + j] as number);
    const expected = Y.transpose().mmul(Y).to1DArray();

    const g = gramMatrix(y, ITEMS, K);

    for (let i = 0; i < K * K; i++) expect(g[i]).toBeCloseTo(expected[i] as number, 12);
  });
});
