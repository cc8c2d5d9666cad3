import { Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { foldInUser, gramMatrix } from '../../src/als/fold-in.js';
import { InputInvalidError } from '../../src/core/errors.js';
import { exactSolve, ITEMS, K, problem } from '../helpers/als-problem.js';

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
