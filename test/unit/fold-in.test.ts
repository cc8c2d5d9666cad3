import { inverse, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { explainUser, foldInUser, gramMatrix } from '../../src/als/fold-in.js';
import { fitWeighting, weightingOf, weightMatrix } from '../../src/als/weighting.js';
import { csrFromTriples } from '../../src/core/csr.js';
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

describe('Function: foldInUser (weighted)', () => {
  it('weighs the summed values as training weighed the matrix before solving', () => {
    // Prepare: a 2-user matrix whose second row is the history to fold in, weighted by bm25.
    const { y, items, values } = problem(5, 6);
    const sorted = items.map((item, n) => [item, values[n] as number] as const).sort((a, b) => a[0] - b[0]);
    const matrix = csrFromTriples(
      2,
      ITEMS,
      Int32Array.from([0, 0, ...sorted.map(() => 1)]),
      Int32Array.from([0, 1, ...sorted.map((p) => p[0])]),
      Float32Array.from([2, 1, ...sorted.map((p) => p[1])]),
    );
    const fitted = fitWeighting(matrix, weightingOf('bm25'));
    const weighted = weightMatrix(matrix, fitted);
    const row = Array.from(weighted.data.subarray(weighted.indptr[1], weighted.indptr[2]));
    const params = { alpha: 1.5, regularization: 0.1, cgSteps: 3 };

    // Act
    const folded = foldInUser(y, K, gramMatrix(y, ITEMS, K), items, values, params, fitted);

    // Assess: the exact solve over the weighted values (ml-matrix oracle).
    const exact = exactSolve(
      y,
      sorted.map((p) => p[0]),
      row,
      1.5,
      0.1,
    );
    for (let i = 0; i < K; i++) expect(folded[i]).toBeCloseTo(exact[i] as number, 5);
  });
});

describe('Function: explainUser', () => {
  /** implicit's formula computed directly: z = A⁻¹ yᵢ with A = YᵀY + λI + Σ (cⱼ − 1) yⱼyⱼᵀ; shareⱼ = (z · yⱼ) cⱼ. */
  function directShares(
    y: Float32Array,
    items: number[],
    values: number[],
    alpha: number,
    reg: number,
    item: number,
  ) {
    const Y = new Matrix(ITEMS, K);
    for (let i = 0; i < ITEMS; i++) for (let j = 0; j < K; j++) Y.set(i, j, y[i * K + j] as number);
    const A = Y.transpose().mmul(Y).add(Matrix.eye(K, K).mul(reg));
    items.forEach((j, n) => {
      const yj = Y.getRowVector(j);
      A.add(
        yj
          .transpose()
          .mmul(yj)
          .mul(alpha * (values[n] as number) - 1),
      );
    });
    const z = inverse(A).mmul(Y.getRowVector(item).transpose());
    return items.map((j, n) => Y.getRowVector(j).mmul(z).get(0, 0) * alpha * (values[n] as number));
  }

  it.each([31, 32])(
    "gives implicit's per-item contributions, largest first, summing to the exact fold-in score (seed %i)",
    (seed) => {
      // Prepare
      const { y, items, values } = problem(seed, 8);
      const yty = gramMatrix(y, ITEMS, K);
      const params = { alpha: 2, regularization: 0.1 };
      const target = (items[0] as number) === 0 ? 1 : 0;

      // Act
      const { total, top } = explainUser(y, K, yty, items, values, params).explain(target, 3);

      // Assess
      const shares = directShares(y, items, values, 2, 0.1, target);
      const expected = items
        .map((item, n) => ({ item, contribution: shares[n] as number }))
        .sort((a, b) => b.contribution - a.contribution)
        .slice(0, 3);
      expect(top.map((t) => t.item)).toEqual(expected.map((e) => e.item));
      top.forEach((t, n) => {
        expect(t.contribution).toBeCloseTo(expected[n]?.contribution as number, 8);
      });
      const x = exactSolve(y, items, values, 2, 0.1);
      const score = x.reduce((sum, xi, d) => sum + xi * (y[target * K + d] as number), 0);
      expect(total).toBeCloseTo(score, 8);
      expect(total).toBeCloseTo(
        shares.reduce((a, b) => a + b, 0),
        10,
      );
    },
  );

  it('works out a 1-factor case by hand: shares (y_i y_j c_j) / (YᵀY + λ + Σ (c − 1) y²)', () => {
    // Prepare: items with 1-d factors 1, 2, 3; the user watched item 0 (value 2) and item 2 (value 1), alpha 1.
    const y = Float32Array.of(1, 2, 3);
    const yty = Float64Array.of(14);

    // Act
    const { total, top } = explainUser(y, 1, yty, [0, 2], [2, 1], { alpha: 1, regularization: 1 }).explain(
      1,
      5,
    );

    // Assess: A = 14 + 1 + (2 − 1)·1 + (1 − 1)·9 = 16; z = 2 / 16; shares: item 0 → z·1·2 = 0.25, item 2 → z·3·1 = 0.375.
    expect(top).toEqual([
      { item: 2, contribution: 0.375 },
      { item: 0, contribution: 0.25 },
    ]);
    expect(total).toBe(0.625);
  });
});
